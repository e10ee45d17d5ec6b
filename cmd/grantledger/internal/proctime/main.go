// Command proctime times whole processes for docs/PERFORMANCE.md: it runs
// each given command once per round, in turn, for --rounds rounds (so that
// a change in the machine's load touches every command alike), and prints
// for each the median, minimum and maximum wall time and the largest peak
// RSS, with the load average before and after.
//
// Each command is LABEL=ARGS, the arguments separated by spaces. In ARGS,
// {n} is replaced by the round's number and {uuid} by a new UUID; a
// command whose label ends in "<spend" gets on its standard input one
// record_spending line with a new command id (for 'grantledger apply -');
// --fresh PATH removes PATH and its -wal and -shm files before each run of
// a command that names PATH.
//
//	go run ./cmd/grantledger/internal/proctime --rounds 21 \
//	    'dd=dd if=/dev/zero of=/tmp/f bs=4096 count=1 conv=fsync status=none' \
//	    'new<spend=/tmp/gl-new apply --db /tmp/n.db -'
package main

import (
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type spec struct {
	label string
	args  []string
	spend bool
	times []time.Duration
	rss   int64
}

func main() {
	rounds := flag.Int("rounds", 21, "rounds; each runs every command once")
	var fresh multi
	flag.Var(&fresh, "fresh", "remove this file (and -wal, -shm) before each run of a command naming it (repeatable)")
	agreement := flag.String("agreement", "GEN/2022/000001", "the agreement of the spending lines")
	flag.Parse()
	var specs []*spec
	for _, a := range flag.Args() {
		label, cmd, ok := strings.Cut(a, "=")
		if !ok || strings.TrimSpace(cmd) == "" {
			fmt.Fprintf(os.Stderr, "proctime: %q: want LABEL=COMMAND ARGS\n", a)
			os.Exit(2)
		}
		specs = append(specs, &spec{label: label, args: strings.Fields(cmd), spend: strings.HasSuffix(label, "<spend")})
	}
	if len(specs) == 0 {
		fmt.Fprintln(os.Stderr, "proctime: no commands")
		os.Exit(2)
	}
	fmt.Printf("load before: %s", loadavg())
	for r := 0; r < *rounds; r++ {
		for _, s := range specs {
			args := make([]string, len(s.args))
			for i, a := range s.args {
				a = strings.ReplaceAll(a, "{n}", strconv.Itoa(r))
				a = strings.ReplaceAll(a, "{uuid}", newUUID())
				args[i] = a
				for _, f := range fresh {
					if a == f {
						for _, suf := range []string{"", "-wal", "-shm"} {
							os.Remove(f + suf)
						}
					}
				}
			}
			var stdin io.Reader
			if s.spend {
				stdin = strings.NewReader(fmt.Sprintf(`{"type":"record_spending","command_id":%q,"actor":"accountant@ngo1.example.lv","data":{"agreement":%q,"line":"minority","year":3,"amount":"1.00","date":"2024-01-09","document":"INV-T-%d","description":"timed"}}`+"\n", newUUID(), *agreement, time.Now().UnixNano()))
			}
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Stdin = stdin
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			err := cmd.Run()
			d := time.Since(start)
			if err != nil {
				fmt.Fprintf(os.Stderr, "proctime: %s: %v\n%s", s.label, err, out.Bytes())
				os.Exit(1)
			}
			s.times = append(s.times, d)
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				s.rss = max(s.rss, ru.Maxrss)
			}
		}
	}
	fmt.Printf("load after:  %s", loadavg())
	for _, s := range specs {
		t := slices.Clone(s.times)
		slices.Sort(t)
		fmt.Printf("%-12s median %9.3f ms  min %9.3f  max %9.3f  (n=%d, peak RSS %d KB)\n", s.label, ms(t[len(t)/2]), ms(t[0]), ms(t[len(t)-1]), len(t), s.rss)
	}
	base := specs[0]
	for _, s := range specs[1:] {
		var rs []float64
		for i := range s.times {
			rs = append(rs, float64(s.times[i])/float64(base.times[i]))
		}
		slices.Sort(rs)
		fmt.Printf("%s / %s per round: median %.2fx  min %.2fx  max %.2fx\n", s.label, base.label, rs[len(rs)/2], rs[0], rs[len(rs)-1])
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown\n"
	}
	return string(b)
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
