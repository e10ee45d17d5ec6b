// Package metrics exposes grantledger's Prometheus metrics: commands by type
// and outcome with their latency, events appended, event store append and
// read latency, projection checkpoint position and lag, HTTP requests by
// route and status, and the Go runtime and process collectors. The ledger
// service and the event store are measured by decorators (Service, Store);
// nothing in the domain calls this package.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/grantledger/grantledger/app/command"
)

// Metrics holds every collector on its own registry, so that tests and
// several servers in one process do not collide.
type Metrics struct {
	reg *prometheus.Registry

	commands       *prometheus.CounterVec
	commandSeconds *prometheus.HistogramVec
	eventsAppended prometheus.Counter
	storeSeconds   *prometheus.HistogramVec
	checkpoint     prometheus.Gauge
	lag            prometheus.Gauge
	httpRequests   *prometheus.CounterVec
	httpSeconds    *prometheus.HistogramVec

	head atomic.Uint64 // highest commit position the store decorator saw appended

	// The label look-ups of the per-request series, resolved once per
	// label set: hashing label values on every request costs more than
	// the observation itself.
	httpSeries    sync.Map // httpKey -> httpSeries
	commandSeries sync.Map // [2]string{type, outcome} -> commandSeries
	storeSeries   sync.Map // op -> prometheus.Observer
}

type httpKey struct {
	route, method string
	status        int
}

type httpSeries struct {
	requests prometheus.Counter
	seconds  prometheus.Observer
}

type commandSeries struct {
	commands prometheus.Counter
	seconds  prometheus.Observer
}

// latencyBuckets spans 50 µs to about 3 s: an in-memory append is tens of
// microseconds, a durable commit a few milliseconds.
var latencyBuckets = prometheus.ExponentialBuckets(0.00005, 2.5, 13)

// New returns Metrics with every collector registered, the Go runtime and
// process collectors included.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.commands = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "grantledger_commands_total",
		Help: "Commands handled, by command type and outcome (ok, duplicate, or the error code: invalid, rule, not_found, conflict, forbidden, ...).",
	}, []string{"type", "outcome"})
	m.commandSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "grantledger_command_duration_seconds",
		Help:    "Time to decide and durably append one command, by command type.",
		Buckets: latencyBuckets,
	}, []string{"type"})
	m.eventsAppended = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "grantledger_events_appended_total",
		Help: "Events durably appended to the event store.",
	})
	m.storeSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "grantledger_store_operation_duration_seconds",
		Help:    "Event store latency by operation (append, append_batch, read_stream, read_all).",
		Buckets: latencyBuckets,
	}, []string{"op"})
	m.checkpoint = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "grantledger_projection_checkpoint_position",
		Help: "Global commit position of the last event the read model folded.",
	})
	m.lag = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "grantledger_projection_lag_events",
		Help: "Commit positions the read model is behind the last append this process saw.",
	})
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "grantledger_http_requests_total",
		Help: "HTTP requests by route pattern, method and status code.",
	}, []string{"route", "method", "status"})
	m.httpSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "grantledger_http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern.",
		Buckets: latencyBuckets,
	}, []string{"route"})
	m.reg.MustRegister(m.commands, m.commandSeconds, m.eventsAppended, m.storeSeconds,
		m.checkpoint, m.lag, m.httpRequests, m.httpSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// storeObserver returns the latency series of one store operation,
// resolved once.
func (m *Metrics) storeObserver(op string) prometheus.Observer {
	if v, ok := m.storeSeries.Load(op); ok {
		return v.(prometheus.Observer)
	}
	v, _ := m.storeSeries.LoadOrStore(op, m.storeSeconds.WithLabelValues(op))
	return v.(prometheus.Observer)
}

// StateCache is what WatchStateCache reads: the command service
// (command.Service.CacheStats).
type StateCache interface {
	CacheStats() command.CacheStats
}

// WatchStateCache exports the figures of the command service's cache of
// agreement states, read at every scrape: the events held and the bound
// (--cache-events), the states read back from the store whole and
// dropped to keep the bound, and the encodings kept of dropped states
// (their bytes, their bound, the states decoded from them). Reads or
// restores that grow nearly as fast as grantledger_commands_total say
// the agreements written to do not fit (docs/SERVER.md, "Memory"). Call
// it once per Metrics.
func (m *Metrics) WatchStateCache(c StateCache) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "grantledger_agreement_states_events",
			Help: "Events folded into the agreement states the command service keeps in memory.",
		}, func() float64 { return float64(c.CacheStats().Events) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "grantledger_agreement_states_limit_events",
			Help: "The bound of grantledger_agreement_states_events (--cache-events; -1: none).",
		}, func() float64 { return float64(c.CacheStats().Limit) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "grantledger_agreement_state_reads_total",
			Help: "Agreement states read from the event store from their first event: first use, or after being dropped or found stale.",
		}, func() float64 { return float64(c.CacheStats().Reads) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "grantledger_agreement_states_dropped_total",
			Help: "Agreement states dropped from memory to keep grantledger_agreement_states_limit_events.",
		}, func() float64 { return float64(c.CacheStats().Dropped) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "grantledger_agreement_state_restores_total",
			Help: "Dropped agreement states decoded from the encoding kept of them instead of read from the event store.",
		}, func() float64 { return float64(c.CacheStats().Restored) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "grantledger_agreement_states_encoded_bytes",
			Help: "Bytes of the encodings kept of dropped agreement states.",
		}, func() float64 { return float64(c.CacheStats().Encoded) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "grantledger_agreement_states_encoded_limit_bytes",
			Help: "The bound of grantledger_agreement_states_encoded_bytes (--cache-encoded-mb; -1: none kept).",
		}, func() float64 { return float64(c.CacheStats().EncodedLimit) }),
	)
}

// Registry returns the registry the collectors are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveCommand counts one command of type typ with its outcome and
// records how long it took.
func (m *Metrics) ObserveCommand(typ, outcome string, d time.Duration) {
	if typ == "" {
		typ = "unknown"
	}
	key := [2]string{typ, outcome}
	v, ok := m.commandSeries.Load(key)
	if !ok {
		v, _ = m.commandSeries.LoadOrStore(key, commandSeries{m.commands.WithLabelValues(typ, outcome), m.commandSeconds.WithLabelValues(typ)})
	}
	cs := v.(commandSeries)
	cs.commands.Inc()
	cs.seconds.Observe(d.Seconds())
}

// CountCommand counts a command refused before it was decided (malformed,
// forbidden, unknown agreement); it is left out of the latency histogram.
func (m *Metrics) CountCommand(typ, outcome string) {
	if typ == "" {
		typ = "unknown"
	}
	m.commands.WithLabelValues(typ, outcome).Inc()
}

// ObserveHTTP counts one HTTP request. route must be a route pattern, not
// a raw path, to keep the label set small.
func (m *Metrics) ObserveHTTP(route, method string, status int, d time.Duration) {
	key := httpKey{route, method, status}
	v, ok := m.httpSeries.Load(key)
	if !ok {
		v, _ = m.httpSeries.LoadOrStore(key, httpSeries{m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)), m.httpSeconds.WithLabelValues(route)})
	}
	hs := v.(httpSeries)
	hs.requests.Inc()
	hs.seconds.Observe(d.Seconds())
}

// SetCheckpoint records the read model's checkpoint (a commit position)
// and its lag behind the last append this process saw.
func (m *Metrics) SetCheckpoint(commit uint64) {
	m.checkpoint.Set(float64(commit))
	head := m.head.Load()
	if head > commit {
		m.lag.Set(float64(head - commit))
	} else {
		m.lag.Set(0)
	}
}

// Head returns the highest commit position appended through the store
// decorator.
func (m *Metrics) Head() uint64 { return m.head.Load() }

func (m *Metrics) noteHead(commit uint64) {
	for {
		cur := m.head.Load()
		if commit <= cur || m.head.CompareAndSwap(cur, commit) {
			return
		}
	}
}
