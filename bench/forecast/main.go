// Command forecast compares licmon's forecast with R's forecast::ets and a random walk with drift
// on the same generated series with known futures (internal/forecast/synth). bench/forecast.sh
// drives it:
//
//	forecast generate -dir D [-n 400] [-seed 1]   writes D/history.csv and D/future.csv
//	forecast evaluate -dir D [-paths 500]         forecasts with licmon and Go's rwf, reads
//	                                               D/r-forecasts.csv (bench/forecast/r.R), and
//	                                               prints coverage, MAPE and Winkler per group
//	                                               and horizon as a Markdown table
//
// The R forecasts are made by bench/forecast/r.R between the two steps.
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/forecast/synth"
)

const futureDays = 180

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", "bench/out/forecast", "directory for the CSV files")
	n := fs.Int("n", 400, "series per group (short and long), cycling through the growth shapes")
	seed := fs.Uint64("seed", 1, "generator seed")
	paths := fs.Int("paths", forecast.DefaultBootstrap, "licmon bootstrap paths")
	_ = fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "generate":
		err = generate(*dir, *n, *seed)
	case "evaluate":
		err = evaluate(*dir, *paths)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "forecast:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: forecast generate|evaluate -dir DIR [-n N] [-seed S] [-paths P]")
	os.Exit(2)
}

// generate writes the histories (what the forecasters see) and the futures (what they are scored
// against) as long CSV: id, group, shape, day, value.
func generate(dir string, n int, seed uint64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var all []synth.Series
	for _, g := range []synth.Group{synth.Short, synth.Long} {
		all = append(all, synth.Generate(g, n, futureDays, seed)...)
	}
	write := func(name string, part func(synth.Series) []float64) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		w := csv.NewWriter(f)
		_ = w.Write([]string{"id", "group", "shape", "day", "value"})
		for _, s := range all {
			for d, v := range part(s) {
				_ = w.Write([]string{s.ID, string(s.Group), string(s.Shape), strconv.Itoa(d + 1), strconv.FormatFloat(v, 'f', -1, 64)})
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
		return f.Close()
	}
	if err := write("history.csv", func(s synth.Series) []float64 { return s.History }); err != nil {
		return err
	}
	if err := write("future.csv", func(s synth.Series) []float64 { return s.Future }); err != nil {
		return err
	}
	fmt.Printf("wrote %d series (%d short, %d long; seed %d) to %s\n", len(all), n, n, seed, dir)
	return nil
}

// readSeries reads history.csv and future.csv back, in file order.
func readSeries(dir string) ([]synth.Series, error) {
	var order []string
	byID := map[string]*synth.Series{}
	for _, part := range []string{"history.csv", "future.csv"} {
		err := readCSV(filepath.Join(dir, part), 5, func(r []string) error {
			v, err := strconv.ParseFloat(r[4], 64)
			if err != nil {
				return err
			}
			s := byID[r[0]]
			if s == nil {
				s = &synth.Series{ID: r[0], Group: synth.Group(r[1]), Shape: synth.Shape(r[2])}
				byID[r[0]] = s
				order = append(order, r[0])
			}
			if part == "history.csv" {
				s.History = append(s.History, v)
			} else {
				s.Future = append(s.Future, v)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]synth.Series, len(order))
	for i, id := range order {
		out[i] = *byID[id]
		if len(out[i].Future) < futureDays {
			return nil, fmt.Errorf("series %s: %d future days in future.csv, want %d", id, len(out[i].Future), futureDays)
		}
	}
	return out, nil
}

func readCSV(path string, cols int, row func([]string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w (run bench/forecast.sh, which writes it)", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = cols
	if _, err := r.Read(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if err := row(rec); err != nil {
			line, _ := r.FieldPos(0)
			return fmt.Errorf("read %s line %d: %w", path, line, err)
		}
	}
}

// readR reads r-forecasts.csv (id, method, h, mean, lo, hi) into full-length forecasts with the
// scored horizons filled in.
func readR(dir string) (map[string]map[string]synth.Forecast, error) {
	out := map[string]map[string]synth.Forecast{}
	err := readCSV(filepath.Join(dir, "r-forecasts.csv"), 6, func(r []string) error {
		h, err := strconv.Atoi(r[2])
		if err != nil || h < 1 || h > futureDays {
			return fmt.Errorf("horizon %q is not a day 1..%d", r[2], futureDays)
		}
		var v [3]float64
		for i := range v {
			if v[i], err = strconv.ParseFloat(r[3+i], 64); err != nil {
				return err
			}
		}
		if out[r[1]] == nil {
			out[r[1]] = map[string]synth.Forecast{}
		}
		f, ok := out[r[1]][r[0]]
		if !ok {
			f = synth.Forecast{Mean: make([]float64, futureDays), Lo: make([]float64, futureDays), Hi: make([]float64, futureDays)}
			for k := range futureDays {
				f.Mean[k], f.Lo[k], f.Hi[k] = math.NaN(), math.NaN(), math.NaN()
			}
		}
		f.Mean[h-1], f.Lo[h-1], f.Hi[h-1] = v[0], v[1], v[2]
		out[r[1]][r[0]] = f
		return nil
	})
	return out, err
}

func evaluate(dir string, paths int) error {
	series, err := readSeries(dir)
	if err != nil {
		return err
	}
	rfc, err := readR(dir)
	if err != nil {
		return err
	}
	res := synth.Results{}
	var fitTimes []time.Duration
	var maxDiff float64 // Go's rwf against R's, over the scored horizons of series with a drift
	zeroDrift := 0      // series whose drift is 0, where R's rounding decides its mse divisor
	day0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, s := range series {
		pts := make([]forecast.Point, len(s.History))
		for d, v := range s.History {
			pts[d] = forecast.Point{Day: day0.AddDate(0, 0, d), Value: v}
		}
		start := time.Now()
		m, err := forecast.Fit(pts, forecast.Options{Horizon: futureDays * forecast.Day, Bootstrap: paths, Seed: uint64(i)})
		if err != nil {
			return fmt.Errorf("licmon forecast of %s: %w", s.ID, err)
		}
		fitTimes = append(fitTimes, time.Since(start))
		f := synth.Forecast{Mean: make([]float64, futureDays), Lo: make([]float64, futureDays), Hi: make([]float64, futureDays)}
		for k, b := range m.Path(futureDays * forecast.Day) {
			f.Mean[k], f.Lo[k], f.Hi[k] = b.Mean, b.Lo, b.Hi
		}
		res.Add("licmon", s, f)

		drift := synth.Drift(s.History, futureDays, 0.8)
		res.Add("rwf (Go)", s, drift)
		for method, byID := range rfc {
			rf, ok := byID[s.ID]
			if !ok {
				return fmt.Errorf("r-forecasts.csv has no %s forecast of %s", method, s.ID)
			}
			res.Add(method+" (R)", s, rf)
			if method == "rwf" && s.History[0] == s.History[len(s.History)-1] {
				zeroDrift++
			} else if method == "rwf" {
				for _, h := range synth.Horizons {
					maxDiff = max(maxDiff, math.Abs(rf.Lo[h-1]-drift.Lo[h-1]), math.Abs(rf.Hi[h-1]-drift.Hi[h-1]), math.Abs(rf.Mean[h-1]-drift.Mean[h-1]))
				}
			}
		}
	}
	slices.Sort(fitTimes)
	fmt.Print(res.Table())
	fmt.Printf("\n%d series; licmon: %d bootstrap paths, median fit %.2f ms (180-day horizon)", len(series), paths,
		float64(fitTimes[len(fitTimes)/2].Microseconds())/1000)
	if _, ok := rfc["rwf"]; ok {
		fmt.Printf("; Go's rwf differs from R's by at most %.2g (not compared: %d series with zero drift)", maxDiff, zeroDrift)
	}
	fmt.Println()
	return nil
}
