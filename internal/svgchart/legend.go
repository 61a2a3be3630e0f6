package svgchart

// legendKind selects the swatch drawn for a legend entry.
type legendKind int

const (
	swLine legendKind = iota
	swArea
	swDashed
	swRecon
	swBand
	swThreshold
)

type legendItem struct {
	kind  legendKind
	color string
	class string
	text  string
	// key is the data-series attribute shared with what the entry stands for, so a test (or a
	// reader's tool) can match legend entries to drawn elements.
	key  string
	x, y float64 // top-left of the swatch, set by layoutLegend
}

const legendFont = fontSmall

// legendItems lists what the chart draws, each once: a series' measured part and its
// reconstructed part only when drawn, the forecast when it has data, a threshold with its value.
// Unnamed series have no entry.
func (c *TimeSeriesChart) legendItems(l *tsLayout) []legendItem {
	var items []legendItem
	for i, s := range l.series {
		if s.Name == "" {
			continue
		}
		k := swLine
		switch s.Style {
		case Area:
			k = swArea
		case Dashed:
			k = swDashed
		}
		key := "s" + itoa(i)
		if l.parts[i].real {
			items = append(items, legendItem{kind: k, color: l.colors[i], class: "sc-s" + itoa(i), text: s.Name, key: key})
		}
		if l.parts[i].recon {
			items = append(items, legendItem{kind: swRecon, color: l.colors[i], class: "sc-s" + itoa(i) + " sc-reconstructed", text: s.Name + " (reconstructed)", key: key + "r"})
		}
	}
	if l.anyForecast {
		name := c.Forecast.Name
		if name == "" {
			name = "forecast"
		}
		items = append(items, legendItem{kind: swBand, color: l.fcColor, class: "sc-forecast", text: name, key: "fc"})
	}
	for j, th := range c.Thresholds {
		if finite(th.Value) && th.Label != "" {
			items = append(items, legendItem{kind: swThreshold, color: thresholdColor(th), class: "sc-threshold", text: thresholdText(th), key: "t" + itoa(j)})
		}
	}
	return items
}

// layoutLegend places items left to right, wrapping at right, and returns the number of rows.
func layoutLegend(items []legendItem, left, right, top float64) int {
	if len(items) == 0 {
		return 0
	}
	x, row := left, 0
	for i := range items {
		wdt := 22 + textWidth(items[i].text, legendFont) + 14
		if x > left && x+wdt > right {
			x, row = left, row+1
		}
		items[i].x, items[i].y = x, top+float64(row)*legendRow
		x += wdt
	}
	return row + 1
}

// drawLegend draws the items placed by layoutLegend.
func drawLegend(w *buf, items []legendItem) {
	if len(items) == 0 {
		return
	}
	w.s(`<g class="sc-legend">`)
	for _, it := range items {
		y := it.y + 7
		col := html_(it.color)
		w.s(`<g class="sc-legend-item `, html_(it.class), `" data-series="`, it.key, `">`)
		switch it.kind {
		case swArea, swBand:
			op := areaOpacity
			if it.kind == swBand {
				op = bandOpacity
			}
			w.rect("sc-swatch", it.x, y-5, 18, 10, `fill="`+col+`" fill-opacity="`+op+`" stroke="none"/>`)
			dash := ""
			if it.kind == swBand {
				dash = ` stroke-dasharray="6 4"`
			}
			w.line("sc-swatch", it.x, y, it.x+18, y, `stroke="`+col+`" stroke-width="2"`+dash)
		case swLine:
			w.line("sc-swatch", it.x, y, it.x+18, y, `stroke="`+col+`" stroke-width="2"`)
		case swDashed:
			w.line("sc-swatch", it.x, y, it.x+18, y, `stroke="`+col+`" stroke-width="2" stroke-dasharray="6 4"`)
		case swRecon:
			w.line("sc-swatch", it.x, y, it.x+18, y, `stroke="`+col+`" stroke-width="2" stroke-opacity="0.6" stroke-dasharray="4 3"`)
		case swThreshold:
			w.line("sc-swatch", it.x, y, it.x+18, y, `stroke="`+col+`" stroke-width="2" stroke-dasharray="4 3"`)
		}
		w.text("sc-legend-text sc-label", it.x+22, y+4, "", small, it.text)
		w.s("</g>")
	}
	w.s("</g>")
}
