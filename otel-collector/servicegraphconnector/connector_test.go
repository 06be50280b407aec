package servicegraphconnector

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

type capture struct {
	mu      sync.Mutex
	batches []pmetric.Metrics
}

func (*capture) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *capture) ConsumeMetrics(_ context.Context, metrics pmetric.Metrics) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, metrics)
	return nil
}

type spanSpec struct {
	service string
	kind    ptrace.SpanKind
	id      byte
	parent  byte
	took    time.Duration
	failed  bool
	attrs   map[string]string
}

var traceID = pcommon.TraceID([16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})

func traces(specs ...spanSpec) ptrace.Traces {
	td := ptrace.NewTraces()
	start := time.Unix(1_700_000_000, 0)
	for _, spec := range specs {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", spec.service)
		span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		span.SetTraceID(traceID)
		span.SetSpanID(pcommon.SpanID([8]byte{spec.id}))
		if spec.parent != 0 {
			span.SetParentSpanID(pcommon.SpanID([8]byte{spec.parent}))
		}
		span.SetKind(spec.kind)
		span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		span.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(spec.took)))
		if spec.failed {
			span.Status().SetCode(ptrace.StatusCodeError)
		}
		for k, v := range spec.attrs {
			span.Attributes().PutStr(k, v)
		}
	}
	return td
}

func newTestGraph(t *testing.T, mutate func(*Config)) (*serviceGraph, *capture) {
	t.Helper()
	config := createDefaultConfig()
	if mutate != nil {
		mutate(config)
	}
	if err := config.Validate(); err != nil {
		t.Fatalf("invalid config: %v", err)
	}
	sink := &capture{}
	graph := newServiceGraph(config, zap.NewNop(), sink)
	graph.started = time.Unix(1_700_000_000, 0)
	return graph, sink
}

// edges renders the built metrics as "metric{client,server,connection_type,failed} value" lines.
func edges(metrics pmetric.Metrics) map[string]float64 {
	out := map[string]float64{}
	for _, rm := range metrics.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				label := func(attrs pcommon.Map) string {
					var parts []string
					for _, name := range []string{"client", "server", "connection_type", "failed"} {
						v, _ := attrs.Get(name)
						parts = append(parts, v.AsString())
					}
					return m.Name() + "{" + strings.Join(parts, ",") + "}"
				}
				switch m.Type() {
				case pmetric.MetricTypeSum:
					for _, dp := range m.Sum().DataPoints().All() {
						out[label(dp.Attributes())] = float64(dp.IntValue())
					}
				case pmetric.MetricTypeHistogram:
					for _, dp := range m.Histogram().DataPoints().All() {
						out[label(dp.Attributes())+"_count"] = float64(dp.Count())
						out[label(dp.Attributes())+"_sum"] = dp.Sum()
					}
				}
			}
		}
	}
	return out
}

func consume(t *testing.T, graph *serviceGraph, td ptrace.Traces) {
	t.Helper()
	if err := graph.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
}

func TestPairsClientAndServerSpans(t *testing.T) {
	graph, _ := newTestGraph(t, nil)
	consume(t, graph, traces(
		spanSpec{service: "gateway", kind: ptrace.SpanKindClient, id: 1, parent: 9, took: 30 * time.Millisecond},
	))
	if got := edges(graph.build(time.Now())); len(got) != 0 {
		t.Fatalf("an unpaired client span made an edge: %v", got)
	}
	consume(t, graph, traces(
		spanSpec{service: "orders", kind: ptrace.SpanKindServer, id: 2, parent: 1, took: 20 * time.Millisecond},
	))
	got := edges(graph.build(time.Now()))
	want := map[string]float64{
		"traces_service_graph_request_total{gateway,orders,,false}":        1,
		"traces_service_graph_request_server{gateway,orders,,false}_count": 1,
		"traces_service_graph_request_server{gateway,orders,,false}_sum":   0.02,
		"traces_service_graph_request_client{gateway,orders,,false}_count": 1,
		"traces_service_graph_request_client{gateway,orders,,false}_sum":   0.03,
	}
	for key, value := range want {
		if got[key] != value {
			t.Errorf("%s = %v, want %v (all: %v)", key, got[key], value, got)
		}
	}
	if len(graph.pending) != 0 {
		t.Errorf("a paired edge is still pending")
	}
}

func TestFailedServerSpanCountsAsFailedRequest(t *testing.T) {
	graph, _ := newTestGraph(t, nil)
	consume(t, graph, traces(
		spanSpec{service: "orders", kind: ptrace.SpanKindServer, id: 2, parent: 1, took: time.Millisecond, failed: true},
		spanSpec{service: "gateway", kind: ptrace.SpanKindClient, id: 1, parent: 9, took: 2 * time.Millisecond},
	))
	got := edges(graph.build(time.Now()))
	if got["traces_service_graph_request_failed_total{gateway,orders,,true}"] != 1 ||
		got["traces_service_graph_request_total{gateway,orders,,true}"] != 1 {
		t.Fatalf("expected one failed request, got %v", got)
	}
}

func TestDatabaseClientSpanMakesAnEdgeAtOnce(t *testing.T) {
	graph, _ := newTestGraph(t, func(c *Config) { c.DatabaseNameAttributes = []string{"db.namespace", "db.name"} })
	consume(t, graph, traces(
		spanSpec{service: "orders", kind: ptrace.SpanKindClient, id: 3, parent: 2, took: 4 * time.Millisecond,
			attrs: map[string]string{"db.system.name": "postgresql", "db.namespace": "shop"}},
	))
	got := edges(graph.build(time.Now()))
	if got["traces_service_graph_request_total{orders,shop,database,false}"] != 1 {
		t.Fatalf("expected an orders->shop database edge, got %v", got)
	}
}

func TestUnansweredClientSpanBecomesVirtualNodeAfterTTL(t *testing.T) {
	graph, _ := newTestGraph(t, nil)
	consume(t, graph, traces(
		spanSpec{service: "payments", kind: ptrace.SpanKindClient, id: 4, parent: 3, took: time.Millisecond,
			attrs: map[string]string{"peer.service": "card-network"}},
		spanSpec{service: "payments", kind: ptrace.SpanKindClient, id: 5, parent: 3, took: time.Millisecond},
	))
	graph.expire(time.Now())
	if got := edges(graph.build(time.Now())); len(got) != 0 {
		t.Fatalf("expired before the TTL: %v", got)
	}
	graph.expire(time.Now().Add(graph.config.Store.TTL + time.Millisecond))
	got := edges(graph.build(time.Now()))
	if got["traces_service_graph_request_total{payments,card-network,virtual_node,false}"] != 1 {
		t.Fatalf("expected a virtual node edge, got %v", got)
	}
	for key := range got {
		if !strings.Contains(key, "card-network") {
			t.Errorf("the span without a peer attribute made an edge: %s", key)
		}
	}
	if len(graph.pending) != 0 {
		t.Errorf("%d spans still pending after the TTL", len(graph.pending))
	}
}

func TestRootServerSpanIsCalledByUser(t *testing.T) {
	graph, _ := newTestGraph(t, nil)
	consume(t, graph, traces(spanSpec{service: "gateway", kind: ptrace.SpanKindServer, id: 1, took: time.Millisecond}))
	got := edges(graph.build(time.Now()))
	if got["traces_service_graph_request_total{user,gateway,virtual_node,false}"] != 1 {
		t.Fatalf("expected a user->gateway edge, got %v", got)
	}
}

func TestStoreIsBounded(t *testing.T) {
	graph, _ := newTestGraph(t, func(c *Config) { c.Store.MaxItems = 2 })
	for id := byte(1); id <= 5; id++ {
		consume(t, graph, traces(spanSpec{service: "gateway", kind: ptrace.SpanKindClient, id: id, parent: 99, took: time.Millisecond}))
	}
	if len(graph.pending) != 2 || graph.dropped != 3 {
		t.Fatalf("pending %d (want 2), dropped %d (want 3)", len(graph.pending), graph.dropped)
	}
}

func TestHistogramBucketsIncludeTheUpperBound(t *testing.T) {
	var h latencyHistogram
	bounds := []float64{0.01, 0.1}
	for _, v := range []float64{0.005, 0.01, 0.05, 0.2} {
		h.observe(bounds, v)
	}
	if h.counts[0] != 2 || h.counts[1] != 1 || h.counts[2] != 1 || h.count != 4 {
		t.Fatalf("bucket counts %v, count %d", h.counts, h.count)
	}
}

func TestStaleSeriesAreDropped(t *testing.T) {
	graph, _ := newTestGraph(t, nil)
	consume(t, graph, traces(spanSpec{service: "gateway", kind: ptrace.SpanKindServer, id: 1, took: time.Millisecond}))
	graph.dropStaleSeries(time.Now())
	if len(graph.series) != 1 {
		t.Fatal("a fresh series was dropped")
	}
	graph.dropStaleSeries(time.Now().Add(seriesExpiry + time.Second))
	if len(graph.series) != 0 {
		t.Fatal("a stale series was kept")
	}
}

func TestShutdownFlushesWhatWasCounted(t *testing.T) {
	graph, sink := newTestGraph(t, nil)
	if err := graph.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	consume(t, graph, traces(spanSpec{service: "gateway", kind: ptrace.SpanKindServer, id: 1, took: time.Millisecond}))
	if err := graph.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(sink.batches) != 1 || sink.batches[0].DataPointCount() == 0 {
		t.Fatalf("expected one flushed batch, got %d", len(sink.batches))
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	config := createDefaultConfig()
	config.LatencyHistogramBuckets = []time.Duration{time.Second, time.Millisecond}
	config.Store.MaxItems = 0
	config.MetricsFlushInterval = 0
	err := config.Validate()
	if err == nil {
		t.Fatal("an invalid config passed")
	}
	for _, part := range []string{"ascending", "store.max_items", "metrics_flush_interval"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %s", err, part)
		}
	}
	if err := createDefaultConfig().Validate(); err != nil {
		t.Fatalf("the default config is invalid: %v", err)
	}
}
