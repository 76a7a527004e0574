# Reference values for ips_outcomes.competing from R's cmprsk package (cuminc, timepoints).
# Usage: Rscript cmprsk_reference.R [output.json]   (reads survival_small.csv and
# survival_medium.csv beside this script; writes cmprsk_reference.json beside it by default).
# jsonlite is not required: the JSON is written by hand, numbers with 17 significant digits,
# NA as null.
suppressPackageStartupMessages(library(cmprsk))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
out_file <- commandArgs(trailingOnly = TRUE)
out_file <- if (length(out_file)) out_file[1] else file.path(here, "cmprsk_reference.json")
milestones <- c(91, 182, 365, 547)

num <- function(x) {
  x <- as.numeric(x)
  out <- ifelse(is.na(x), "null", sprintf("%.17g", x))
  paste0("[", paste(out, collapse = ", "), "]")
}
str_json <- function(x) paste0("\"", gsub("([\"\\\\])", "\\\\\\1", x), "\"")
obj <- function(...) {
  fields <- list(...)
  paste0("{", paste(str_json(names(fields)), unlist(fields), sep = ": ", collapse = ", "), "}")
}
arr <- function(items, indent) {
  pad <- strrep(" ", indent)
  paste0("[\n", paste0(pad, items, collapse = ",\n"), "\n", strrep(" ", indent - 2), "]")
}

cohorts <- character()
for (cohort in c("small", "medium")) {
  d <- read.csv(file.path(here, paste0("survival_", cohort, ".csv")), stringsAsFactors = FALSE)
  fit <- cuminc(d$cr_time, d$cr_event, group = d$service, cencode = 0)
  groups <- sort(unique(d$service))
  causes <- sort(unique(d$cr_event[d$cr_event != 0]))
  tp <- timepoints(fit, times = milestones)
  curves <- character()
  at <- character()
  for (cause in causes) {
    for (group in groups) {
      name <- paste(group, cause)
      curve <- fit[[name]]
      curves <- c(curves, obj(
        group = str_json(group), cause = cause,
        time = num(curve$time), est = num(curve$est), var = num(curve$var)
      ))
      at <- c(at, obj(
        group = str_json(group), cause = cause, time = num(milestones),
        est = num(tp$est[name, ]), var = num(tp$var[name, ])
      ))
    }
  }
  tests <- fit$Tests
  gray <- vapply(seq_len(nrow(tests)), function(i) obj(
    cause = as.numeric(rownames(tests)[i]), stat = sprintf("%.17g", tests[i, "stat"]),
    pv = sprintf("%.17g", tests[i, "pv"]), df = sprintf("%.17g", tests[i, "df"])
  ), "")
  cohorts <- c(cohorts, paste0(
    "    ", str_json(cohort), ": {\n",
    "      \"curves\": ", arr(curves, 8), ",\n",
    "      \"timepoints\": ", arr(at, 8), ",\n",
    "      \"tests\": ", arr(gray, 8), "\n",
    "    }"
  ))
}
header <- obj(
  cmprsk = str_json(as.character(packageVersion("cmprsk"))),
  call = str_json("cuminc(cr_time, cr_event, group = service, cencode = 0)")
)
json <- paste0(
  "{\n  \"generator\": ", header, ",\n  \"milestones\": ", num(milestones), ",\n",
  "  \"cohorts\": {\n", paste(cohorts, collapse = ",\n"), "\n  }\n}\n"
)
writeLines(json, out_file, sep = "")
