# Forecasts every history in history.csv with R's forecast package, 180 days ahead with an 80%
# interval: ets (automatic exponential smoothing) and rwf (random walk with drift). Writes
# r-forecasts.csv (id, method, h, mean, lo, hi) for the scored horizons. Run by bench/forecast.sh:
#   Rscript bench/forecast/r.R DIR [CORES]
suppressPackageStartupMessages({
  library(forecast)
  library(parallel)
})
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else "bench/out/forecast"
cores <- if (length(args) >= 2) as.integer(args[2]) else 1L
hist <- read.csv(file.path(dir, "history.csv"), stringsAsFactors = FALSE)
horizons <- c(30, 90, 180)
ids <- unique(hist$id)

one <- function(id) {
  y <- hist$value[hist$id == id]
  e <- forecast(ets(y), h = 180, level = 80)
  r <- rwf(y, drift = TRUE, h = 180, level = 80)
  rbind(
    data.frame(id = id, method = "ets", h = horizons, mean = as.numeric(e$mean)[horizons],
               lo = as.numeric(e$lower)[horizons], hi = as.numeric(e$upper)[horizons]),
    data.frame(id = id, method = "rwf", h = horizons, mean = as.numeric(r$mean)[horizons],
               lo = as.numeric(r$lower)[horizons], hi = as.numeric(r$upper)[horizons])
  )
}

start <- Sys.time()
out <- do.call(rbind, mclapply(ids, one, mc.cores = cores))
write.csv(out, file.path(dir, "r-forecasts.csv"), row.names = FALSE)
cat(sprintf("R %s, forecast %s: ets and rwf for %d series in %.1f s on %d core(s)\n",
            paste(R.version$major, R.version$minor, sep = "."), packageVersion("forecast"),
            length(ids), as.numeric(difftime(Sys.time(), start, units = "secs")), cores))
