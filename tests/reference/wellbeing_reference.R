# Reference values for ips_outcomes.wellbeing.RepeatedMeasuresModel from R's nlme package.
# Usage: Rscript wellbeing_reference.R [output.json] [data folder]
# Reads wellbeing_cohort.csv (WHO-5 rows of a synthetic cohort, IPS vs TAU; made by
# `write_reference_cohort` in tests/test_wellbeing.py) from the data folder (default: beside
# this script) and fits
#   lme(score ~ timepoint * arm, random = ~ 1 | participant_id, method = "REML")  (and "ML")
# with timepoint a factor in time order (baseline first) and arm = 1 for IPS. The JSON is
# written by hand (jsonlite is not a dependency), numbers with 17 significant digits, so the
# output is deterministic and exactly reproducible.
suppressPackageStartupMessages(library(nlme))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
trailing <- commandArgs(trailingOnly = TRUE)
out_file <- if (length(trailing) >= 1) trailing[1] else file.path(here, "wellbeing_reference.json")
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
  tab <- summary(fit)$tTable
  ci <- intervals(fit, level = 0.95, which = "fixed")$fixed
  obj(list(
    terms = str_list(rownames(tab)),
    estimate = num(tab[, "Value"]),
    se = num(tab[, "Std.Error"]),
    df = num(tab[, "DF"]),
    t = num(tab[, "t-value"]),
    p = num(tab[, "p-value"]),
    ci_lower = num(ci[, "lower"]),
    ci_upper = num(ci[, "upper"]),
    random_intercept_var = num(getVarCov(fit)[1, 1]),
    residual_var = num(fit$sigma^2),
    loglik = num(logLik(fit)),
    n_observations = sprintf("%d", fit$dims$N),
    n_participants = sprintf("%d", fit$dims$ngrps[["participant_id"]])
  ), indent)
}

d <- read.csv(file.path(data_dir, "wellbeing_cohort.csv"), stringsAsFactors = FALSE)
levels <- unique(d$timepoint)
months <- ifelse(levels == "baseline", 0, suppressWarnings(as.integer(sub("m$", "", levels))))
d$timepoint <- factor(d$timepoint, levels = levels[order(months)])
d$arm <- as.integer(d$service == "IPS")
reml <- lme(score ~ timepoint * arm, random = ~ 1 | participant_id, data = d, method = "REML")
ml <- lme(score ~ timepoint * arm, random = ~ 1 | participant_id, data = d, method = "ML")
meta <- obj(list(
  nlme = paste0('"', as.character(packageVersion("nlme")), '"'),
  model = '"lme(score ~ timepoint * arm, random = ~ 1 | participant_id)"',
  treated = '"IPS"',
  control = '"TAU"',
  timepoints = str_list(levels(d$timepoint))
), 2)
text <- obj(list(meta = meta, reml = model_json(reml, 2), ml = model_json(ml, 2)), 0)
writeLines(text, out_file, useBytes = TRUE)
