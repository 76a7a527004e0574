# Reference values for ips_outcomes.adjusted from R's glm and the sandwich package.
# Usage: Rscript adjusted_reference.R [output.json] [data folder]
# Reads adjusted_cohort.csv from the data folder (default: beside this script; regenerate it
# with `.venv/bin/python -c "from tests.test_adjusted import write_reference_cohort as w; w()"`)
# and writes JSON by hand (jsonlite is not a dependency), numbers with 17 significant digits,
# so the output is deterministic and exactly reproducible.
#
# Each model is glm(y ~ ips + covariates) with family binomial (odds ratio) and poisson
# (modified Poisson, risk ratio), the covariates coded as ips_outcomes.adjusted.design_matrix
# does: numbers as is, logicals 0/1, text as dummies against the most frequent level (ties: the
# first in C-locale order), constant columns and rows with a missing value dropped.
# Robust covariance: sandwich::vcovHC(type = "HC0") without a cluster and
# sandwich::vcovCL(cluster = ~site, type = "HC0") (default cadjust = TRUE: G / (G - 1)) with
# one; `se_hc1` is vcovCL(type = "HC1"), which statsmodels' use_correction = True reproduces.
suppressPackageStartupMessages(library(sandwich))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
trailing <- commandArgs(trailingOnly = TRUE)
out_file <- if (length(trailing) >= 1) trailing[1] else file.path(here, "adjusted_reference.json")
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

d <- read.csv(file.path(data_dir, "adjusted_cohort.csv"), stringsAsFactors = FALSE,
              na.strings = "", encoding = "UTF-8")
logical_columns <- c("ips", "worked_last_5y", "in_work_at_entry", "working_or_studying_12m",
                     "dropped_out", "window_complete_18m", "employed_18m", "new_job_18m")
for (col in logical_columns) d[[col]] <- as.integer(d[[col]] == "true")

design <- function(d, covariates) {
  x <- list()
  for (col in covariates) {
    v <- d[[col]]
    if (is.character(v)) {
      counts <- table(v)
      levels <- sort(names(counts), method = "radix")
      counts <- counts[levels]
      reference <- levels[which.max(counts)]  # the first maximum: ties go to the first level
      for (level in setdiff(levels, reference)) {
        x[[paste0(col, "[", level, "]")]] <- as.numeric(v == level)
      }
    } else {
      x[[col]] <- as.numeric(v)
    }
  }
  if (length(x) == 0) return(NULL)
  x <- as.matrix(as.data.frame(x, check.names = FALSE))
  x[, apply(x, 2, function(column) length(unique(column)) > 1), drop = FALSE]
}

fit_json <- function(d, outcome, covariates, cluster, family, indent) {
  d <- d[complete.cases(d[, c(outcome, "ips", covariates, cluster)]), ]
  X <- design(d, covariates)
  y <- d[[outcome]]
  ips <- d$ips
  ctrl <- glm.control(epsilon = 1e-12, maxit = 100)
  f <- if (is.null(X)) y ~ ips else y ~ ips + X
  fit <- glm(f, family = family, control = ctrl)
  # glm keeps the working weights of its last iteration, one step behind the estimates, and
  # the sandwich's bread is built from them; refitting from the estimates puts them there
  fit <- glm(f, family = family, control = ctrl, start = coef(fit))
  terms <- sub("^X", "", names(coef(fit)))
  se_hc1 <- "null"
  if (is.null(cluster)) {
    v <- vcovHC(fit, type = "HC0")
  } else {
    v <- vcovCL(fit, cluster = d[[cluster]], type = "HC0")
    se_hc1 <- num(sqrt(diag(vcovCL(fit, cluster = d[[cluster]], type = "HC1"))))
  }
  b <- coef(fit)[["ips"]]
  se <- sqrt(v["ips", "ips"])
  z <- qnorm(0.975)
  effect <- c(exp(b), exp(b - z * se), exp(b + z * se), 2 * pnorm(-abs(b / se)))
  obj(list(
    terms = str_list(terms),
    coef = num(coef(fit)),
    se = num(sqrt(diag(v))),
    se_hc1 = se_hc1,
    cov = paste0("[", paste(apply(v, 1, num), collapse = ", "), "]"),
    effect = num(effect),
    n = sprintf("%d", nobs(fit)),
    iter = sprintf("%d", fit$iter),
    converged = if (fit$converged) "true" else "false"
  ), indent)
}

covariates <- c("age_at_enrolment", "gender", "diagnosis_group", "worked_last_5y", "benefit",
                "in_work_at_entry")
everyone <- rep(TRUE, nrow(d))
models <- list(
  wos12 = list("working_or_studying_12m", covariates, NULL, everyone),
  wos12_site = list("working_or_studying_12m", covariates, "site", everyone),
  # without in_work_at_entry: everyone in work at entry is employed (complete separation)
  emp18_site = list("employed_18m", covariates[-6], "site", d$window_complete_18m == 1),
  newjob18 = list("new_job_18m", covariates, NULL,
                  d$window_complete_18m == 1 & d$in_work_at_entry == 0),
  dropout_crude_site = list("dropped_out", character(0), "site", everyone)
)
out <- list()
for (name in names(models)) {
  m <- models[[name]]
  rows <- d[m[[4]], ]
  out[[name]] <- obj(list(
    OR = fit_json(rows, m[[1]], m[[2]], m[[3]], binomial(), 4),
    RR = fit_json(rows, m[[1]], m[[2]], m[[3]], poisson(), 4)
  ), 2)
}
meta <- obj(list(
  sandwich = paste0('"', as.character(packageVersion("sandwich")), '"'),
  glm_control = '"epsilon = 1e-12, maxit = 100"',
  vcov = '"vcovHC(type = \\"HC0\\"); with a cluster vcovCL(type = \\"HC0\\", cadjust = TRUE)"'
), 2)
text <- obj(c(list(meta = meta), out), 0)
writeLines(text, out_file, useBytes = TRUE)
