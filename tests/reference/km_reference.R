# Reference values for ips_outcomes.survival from R's survival package.
# Usage: Rscript km_reference.R [output.csv]   (reads survival_small.csv and survival_medium.csv
# beside this script). Values are written with 17 significant digits.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
out_file <- commandArgs(trailingOnly = TRUE)
out_file <- if (length(out_file)) out_file[1] else file.path(here, "km_reference.csv")
tau <- 545
milestones <- c(91, 182, 365, 547)
rows <- list()
emit <- function(cohort, quantity, group, time, value) {
  rows[[length(rows) + 1]] <<- data.frame(
    cohort = cohort, quantity = quantity, group = group, time = time,
    value = sprintf("%.17g", value), stringsAsFactors = FALSE
  )
}
for (cohort in c("small", "medium")) {
  d <- read.csv(file.path(here, paste0("survival_", cohort, ".csv")), stringsAsFactors = FALSE)
  fit <- survfit(Surv(time, event) ~ service, data = d, conf.type = "log-log")
  groups <- sub("^service=", "", names(fit$strata))
  strata <- rep(groups, fit$strata)
  for (q in c("n.risk", "n.event", "n.censor", "surv", "std.err", "lower", "upper")) {
    emit(cohort, q, strata, fit$time, fit[[q]])
  }
  table <- summary(fit, rmean = tau)$table
  for (q in c("median", "0.95LCL", "0.95UCL", "rmean", "se(rmean)")) {
    emit(cohort, q, groups, NA, table[, q])
  }
  at <- summary(fit, times = milestones, extend = TRUE)
  at_groups <- sub("^service=", "", as.character(at$strata))
  for (q in c("surv", "lower", "upper", "n.risk")) {
    emit(cohort, paste0("at.", q), at_groups, at$time, at[[q]])
  }
  emit(cohort, "logrank.chisq", "all", NA, survdiff(Surv(time, event) ~ service, data = d)$chisq)
  emit(cohort, "logrank.strata.chisq", "all", NA,
       survdiff(Surv(time, event) ~ service + strata(site), data = d)$chisq)
  pair <- d[d$service %in% c("IPS", "TAU"), ]
  emit(cohort, "logrank.chisq", "IPS vs TAU", NA, survdiff(Surv(time, event) ~ service, data = pair)$chisq)
  emit(cohort, "logrank.strata.chisq", "IPS vs TAU", NA,
       survdiff(Surv(time, event) ~ service + strata(site), data = pair)$chisq)
  log_fit <- survfit(Surv(time, event) ~ service, data = d, conf.type = "log")
  emit(cohort, "log.lower", rep(groups, log_fit$strata), log_fit$time, log_fit$lower)
}
out <- do.call(rbind, rows)
write.csv(out, out_file, row.names = FALSE, na = "")
