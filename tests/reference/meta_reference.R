# Reference values for ips_outcomes.meta from R's metafor package (escalc, rma).
# Usage: Rscript meta_reference.R [output.json]
# Writes JSON by hand (jsonlite is not a dependency), numbers with 17 significant digits, so the
# output is deterministic and exactly reproducible.
#
# Data sets:
# - bcg: metafor's dat.bcg (Colditz et al. 1994, 13 BCG vaccine trials); log risk ratios of
#   tuberculosis, vaccinated vs not (the worked example of the metafor documentation).
# - synthetic: per-site 2x2 tables of "working at 12 months", IPS vs TAU, from the synthetic
#   generator (SynthConfig(participants=600, seed=41), ingested and built with build_dataset,
#   as tests/reference/make_cohorts.py does; site names spelt in ASCII here), plus one hand-made
#   site with a zero cell, so the 0.5 continuity correction is exercised.
# - homogeneous: three estimates whose Q < df, so the DL tau^2 is truncated at zero.
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
out_file <- if (length(args) >= 1) args[1] else {
  all_args <- commandArgs(trailingOnly = FALSE)
  here <- dirname(normalizePath(sub("^--file=", "", all_args[grep("^--file=", all_args)])))
  file.path(here, "meta_reference.json")
}

num <- function(x) {
  x <- as.numeric(x)
  paste0("[", paste(ifelse(is.na(x), "null", sprintf("%.17g", x)), collapse = ", "), "]")
}
scalar <- function(x) if (is.na(x)) "null" else sprintf("%.17g", as.numeric(x))
str_list <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")
obj <- function(fields, indent) {
  pad <- strrep(" ", indent)
  body <- paste0(pad, "  \"", names(fields), "\": ", unlist(fields), collapse = ",\n")
  paste0("{\n", body, "\n", pad, "}")
}

# PM: uniroot's default tolerance (eps^0.25) is far looser than the 1e-6 compared against.
control <- list(tol = 1e-13, maxiter = 10000)

fit_json <- function(yi, vi, method, indent) {
  fit <- rma(yi = yi, vi = vi, method = method, control = control)
  obj(list(
    estimate = scalar(fit$beta[1]),
    se = scalar(fit$se),
    ci_low = scalar(fit$ci.lb),
    ci_high = scalar(fit$ci.ub),
    z = scalar(fit$zval),
    p = scalar(fit$pval),
    tau2 = scalar(fit$tau2),
    i2 = scalar(fit$I2),
    h2 = scalar(fit$H2),
    q = scalar(fit$QE),
    q_df = sprintf("%d", fit$k - fit$p),
    q_p = scalar(fit$QEp),
    weights = num(weights(fit))
  ), indent)
}

models_json <- function(yi, vi, indent) {
  fits <- lapply(c("FE", "DL", "PM"), function(m) fit_json(yi, vi, m, indent + 2))
  names(fits) <- c("FE", "DL", "PM")
  obj(fits, indent)
}

counts_json <- function(labels, ai, n1i, ci, n2i, indent) {
  rr <- escalc(measure = "RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i)
  rd <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i)
  obj(list(
    labels = str_list(labels),
    events_treated = num(ai),
    n_treated = num(n1i),
    events_control = num(ci),
    n_control = num(n2i),
    log_rr = num(rr$yi),
    var_log_rr = num(rr$vi),
    rd = num(rd$yi),
    var_rd = num(rd$vi),
    log_rr_models = models_json(rr$yi, rr$vi, indent + 2),
    rd_models = models_json(rd$yi, rd$vi, indent + 2)
  ), indent)
}

bcg <- dat.bcg
synthetic <- data.frame(
  site = c("Bergen", "Jyvaskyla", "Malmo", "Tampere", "Tromso", "Abo", "Hand-made zero cell"),
  ai = c(6, 15, 12, 19, 14, 13, 4),
  n1i = c(38, 48, 50, 50, 56, 36, 20),
  ci = c(5, 2, 6, 3, 1, 1, 0),
  n2i = c(31, 21, 23, 46, 17, 21, 15)
)
homogeneous <- list(labels = c("a", "b", "c"), yi = c(0.1, 0.3, 0.5), vi = c(0.04, 0.02, 0.05))

json <- obj(list(
  metafor_version = paste0('"', as.character(packageVersion("metafor")), '"'),
  bcg = counts_json(
    paste(bcg$author, bcg$year), bcg$tpos, bcg$tpos + bcg$tneg, bcg$cpos, bcg$cpos + bcg$cneg, 2
  ),
  synthetic = counts_json(
    synthetic$site, synthetic$ai, synthetic$n1i, synthetic$ci, synthetic$n2i, 2
  ),
  homogeneous = obj(list(
    labels = str_list(homogeneous$labels),
    yi = num(homogeneous$yi),
    vi = num(homogeneous$vi),
    models = models_json(homogeneous$yi, homogeneous$vi, 4)
  ), 2)
), 0)
writeLines(json, out_file)
