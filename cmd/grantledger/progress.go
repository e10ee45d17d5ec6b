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
	on    bool
	last  time.Time
	n     int
}

func newProgress(w io.Writer, label string) *progress {
	return &progress{w: w, label: label, on: isTerminal(w)}
}

func (p *progress) update(n int) {
	p.n = n
	if !p.on || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r%s: %d events…", p.label, n)
}

func (p *progress) done() {
	if p.on && !p.last.IsZero() {
		fmt.Fprintf(p.w, "\r%s: %d events, done\n", p.label, p.n)
	}
}
