package main

import (
	"fmt"
	"io"
	"time"
)

// progress shows a running count on a terminal, at most five times a
// second, and stays silent when stderr is a file or a pipe (cron, CI).
type progress struct {
	w     io.Writer
	label string
	unit  string // what is counted: "events" unless newProgressOf says
	on    bool
	last  time.Time
	n     int
}

func newProgress(w io.Writer, label string) *progress {
	return newProgressOf(w, label, "events")
}

// newProgressOf counts unit ("lines", …) instead of events.
func newProgressOf(w io.Writer, label, unit string) *progress {
	return &progress{w: w, label: label, unit: unit, on: isTerminal(w)}
}

// clear removes the running count from the terminal line, so that a
// message can be printed on it; the next update shows the count again.
func (p *progress) clear() {
	if p.on && !p.last.IsZero() {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func (p *progress) update(n int) {
	p.n = n
	if !p.on || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r%s\033[K", tr(runLang(), "%s: %d %s…", tr(runLang(), p.label), n, tr(runLang(), p.unit)))
}

func (p *progress) done() {
	if p.on && !p.last.IsZero() {
		fmt.Fprintf(p.w, "\r%s\033[K\n", tr(runLang(), "%s: %d %s, done", tr(runLang(), p.label), p.n, tr(runLang(), p.unit)))
	}
}
