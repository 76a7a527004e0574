# Reference values for ips_outcomes.cox from R's survival package (coxph, cox.zph).
# Usage: Rscript cox_reference.R [output.json] [data folder]
# Reads survival_small.csv and survival_medium.csv from the data folder (default: beside this
# script) and writes JSON by hand (jsonlite is not a dependency), numbers with 17 significant
# digits, so the output is deterministic and exactly reproducible.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
trailing <- commandArgs(trailingOnly = TRUE)
out_file <- if (length(trailing) >= 1) trailing[1] else file.path(here, "cox_reference.json")
data_dir <- if (length(trailing) >= 2) trailing[2] else here

num <- function(x) {
  x <- as.numeric(x)
  paste0("[", paste(ifelse(is.na(x), "null", sprintf("%.17g", x)), collapse = ", "), "]")
}
str_list <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")
obj <- function(fields, indent) {
  pad <- strrep(" ", indent)
  body <- paste0(pad, "  \"", names(fields), "\": ", unlist(fields), collapse = ",\n")
  paste0("{\n", body, "\n", pad, "}")
}

model_json <- function(fit, indent) {
  robust <- if (is.null(fit$naive.var)) "null" else num(sqrt(diag(fit$var)))
  model_var <- if (is.null(fit$naive.var)) fit$var else fit$naive.var
  s <- summary(fit, conf.int = 0.95)
  obj(list(
    terms = str_list(names(coef(fit))),
    coef = num(coef(fit)),
    se = num(sqrt(diag(model_var))),
    robust_se = robust,
    z = num(s$coefficients[, "z"]),
    p = num(s$coefficients[, "Pr(>|z|)"]),
    hr = num(s$conf.int[, "exp(coef)"]),
    hr_lower = num(s$conf.int[, "lower .95"]),
    hr_upper = num(s$conf.int[, "upper .95"]),
    loglik = num(fit$loglik),
    n = sprintf("%d", fit$n),
    nevent = sprintf("%d", fit$nevent),
    iter = sprintf("%d", fit$iter)
  ), indent)
}

zph_json <- function(fit, indent) {
  tab <- cox.zph(fit, transform = "km", terms = TRUE, global = TRUE)$table
  obj(list(
    terms = str_list(rownames(tab)),
    chisq = num(tab[, "chisq"]),
    df = num(tab[, "df"]),
    p = num(tab[, "p"])
  ), indent)
}

adjusted <- "ips + age_per_10y + female + psychosis + worked_last_5y + disability_pension"
cohorts <- list()
for (cohort in c("small", "medium")) {
  d <- read.csv(file.path(data_dir, paste0("survival_", cohort, ".csv")), stringsAsFactors = FALSE)
  d <- d[d$service %in% c("IPS", "TAU"), ]
  d$ips <- as.integer(d$service == "IPS")
  fit_a <- coxph(Surv(time, event) ~ ips, data = d)
  fit_b <- coxph(as.formula(paste("Surv(time, event) ~", adjusted)), data = d)
  fit_c <- coxph(as.formula(paste("Surv(time, event) ~", adjusted, "+ strata(site)")), data = d)
  fit_d <- coxph(as.formula(paste("Surv(time, event) ~", adjusted)), data = d, cluster = site)
  cohorts[[cohort]] <- obj(list(
    a = model_json(fit_a, 4),
    b = model_json(fit_b, 4),
    c = model_json(fit_c, 4),
    d = model_json(fit_d, 4),
    zph_b = zph_json(fit_b, 4),
    zph_c = zph_json(fit_c, 4)
  ), 2)
}
meta <- obj(list(
  survival = paste0('"', as.character(packageVersion("survival")), '"'),
  ties = '"efron"',
  zph = '"cox.zph(fit, transform = \\"km\\", terms = TRUE, global = TRUE)"'
), 2)
text <- obj(c(list(meta = meta), cohorts), 0)
writeLines(text, out_file, useBytes = TRUE)
