# Times R's survival package on the benchmark's survival dataset: survfit (Kaplan-Meier per
# service), survdiff (log-rank across services) and coxph (Efron ties) with service and the
# covariates the pipeline adjusts for. Only those three calls are timed (system.time, elapsed);
# reading the CSV and loading the package are not.
# Usage: Rscript survival_bench.R DATA.csv COVARIATE,COVARIATE,... REPEATS
# Prints one line of JSON (jsonlite is not a dependency, so it is written by hand).
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE, encoding = "UTF-8")
covariates <- strsplit(args[2], ",")[[1]]
repeats <- as.integer(args[3])
d$service <- factor(d$service)
cox_formula <- as.formula(paste("Surv(time, event) ~ service +", paste(covariates, collapse = " + ")))

work <- function(d) {
  km <- system.time(survfit(Surv(time, event) ~ service, data = d))[["elapsed"]]
  lr_time <- system.time(lr <- survdiff(Surv(time, event) ~ service, data = d))[["elapsed"]]
  cox_time <- system.time(fit <- coxph(cox_formula, data = d, ties = "efron"))[["elapsed"]]
  list(km = km, lr = lr_time, cox = cox_time, chisq = lr$chisq, coef = coef(fit))
}

# The first call of each function pays for lazy loading; a small slice takes that cost out.
invisible(work(d[seq_len(min(nrow(d), 2000)), ]))
runs <- lapply(seq_len(repeats), function(i) work(d))

num <- function(x) paste0("[", paste(sprintf("%.4f", x), collapse = ", "), "]")
coef <- runs[[1]]$coef
cat(paste0(
  "{\"survfit\": ", num(sapply(runs, `[[`, "km")),
  ", \"survdiff\": ", num(sapply(runs, `[[`, "lr")),
  ", \"coxph\": ", num(sapply(runs, `[[`, "cox")),
  ", \"logrank_chisq\": ", sprintf("%.10g", runs[[1]]$chisq),
  ", \"coef\": {", paste0("\"", names(coef), "\": ", sprintf("%.10g", coef), collapse = ", "), "}",
  ", \"r_version\": \"", paste(R.version$major, R.version$minor, sep = "."), "\"",
  ", \"survival_version\": \"", as.character(packageVersion("survival")), "\"}\n"
))
