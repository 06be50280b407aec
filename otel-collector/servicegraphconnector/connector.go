package servicegraphconnector // import "qoslab.local/otelcol/servicegraphconnector"

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

// Values of the connection_type attribute.
const (
	connectionPlain       = ""
	connectionVirtualNode = "virtual_node"
	connectionMessaging   = "messaging_system"
	connectionDatabase    = "database"
)

// A series that has not changed for this long is dropped, so edges of services that went away do
// not keep memory (and Prometheus series) forever.
const seriesExpiry = 15 * time.Minute

// The pairing key: a client span's own id, or a server span's parent id, within one trace.
type edgeKey struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
}

type side struct {
	service  string
	seconds  float64
	failed   bool
	dims     map[string]string
	recorded bool
}

type pendingEdge struct {
	client, server side
	connection     string
	peer           string
	root           bool
	created        time.Time
}

type series struct {
	attrs       pcommon.Map
	total       int64
	failed      int64
	server      latencyHistogram
	client      latencyHistogram
	lastUpdated time.Time
}

type latencyHistogram struct {
	counts []uint64
	count  uint64
	sum    float64
}

func (h *latencyHistogram) observe(bounds []float64, value float64) {
	if h.counts == nil {
		h.counts = make([]uint64, len(bounds)+1)
	}
	// Bucket i counts values <= bounds[i]; the last one counts the rest.
	h.counts[sort.SearchFloat64s(bounds, value)]++
	h.count++
	h.sum += value
}

type serviceGraph struct {
	config *Config
	logger *zap.Logger
	next   consumer.Metrics
	bounds []float64

	mu      sync.Mutex
	pending map[edgeKey]*pendingEdge
	series  map[string]*series
	started time.Time
	dropped int64

	stop chan struct{}
	done sync.WaitGroup
}

func newServiceGraph(config *Config, logger *zap.Logger, next consumer.Metrics) *serviceGraph {
	bounds := make([]float64, len(config.LatencyHistogramBuckets))
	for i, bound := range config.LatencyHistogramBuckets {
		bounds[i] = bound.Seconds()
	}
	return &serviceGraph{
		config:  config,
		logger:  logger,
		next:    next,
		bounds:  bounds,
		pending: make(map[edgeKey]*pendingEdge),
		series:  make(map[string]*series),
		stop:    make(chan struct{}),
	}
}

func (*serviceGraph) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (g *serviceGraph) Start(context.Context, component.Host) error {
	g.started = time.Now()
	g.every(g.config.MetricsFlushInterval, func() {
		if err := g.flush(context.Background()); err != nil {
			g.logger.Warn("sending service graph metrics failed", zap.Error(err))
		}
	})
	g.every(g.config.StoreExpirationLoop, func() { g.expire(time.Now()) })
	g.every(g.config.CacheLoop, func() { g.dropStaleSeries(time.Now()) })
	return nil
}

func (g *serviceGraph) every(interval time.Duration, work func()) {
	g.done.Add(1)
	go func() {
		defer g.done.Done()
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				work()
			case <-g.stop:
				return
			}
		}
	}()
}

func (g *serviceGraph) Shutdown(ctx context.Context) error {
	select {
	case <-g.stop:
		return nil
	default:
	}
	close(g.stop)
	g.done.Wait()
	// Send what was counted since the last flush rather than lose it.
	return g.flush(ctx)
}

func (g *serviceGraph) ConsumeTraces(_ context.Context, traces ptrace.Traces) error {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, resourceSpans := range traces.ResourceSpans().All() {
		resource := resourceSpans.Resource().Attributes()
		name, ok := resource.Get("service.name")
		if !ok || name.Str() == "" {
			continue
		}
		service := name.Str()
		for _, scopeSpans := range resourceSpans.ScopeSpans().All() {
			for _, span := range scopeSpans.Spans().All() {
				g.consumeSpan(now, service, resource, span)
			}
		}
	}
	return nil
}

func (g *serviceGraph) consumeSpan(now time.Time, service string, resource pcommon.Map, span ptrace.Span) {
	seconds := float64(span.EndTimestamp()-span.StartTimestamp()) / float64(time.Second)
	recorded := side{
		service:  service,
		seconds:  seconds,
		failed:   span.Status().Code() == ptrace.StatusCodeError,
		recorded: true,
	}
	switch span.Kind() {
	case ptrace.SpanKindClient, ptrace.SpanKindProducer:
		recorded.dims = g.dimensions("client_", resource, span.Attributes())
		edge := g.pendingFor(now, edgeKey{span.TraceID(), span.SpanID()})
		if edge == nil {
			return
		}
		edge.client = recorded
		if span.Kind() == ptrace.SpanKindProducer {
			edge.connection = connectionMessaging
		}
		edge.peer = firstAttribute(g.config.VirtualNodePeerAttributes, span.Attributes())
		// A database answers with no span of its own: the client span alone makes the edge.
		if database := firstAttribute(g.config.DatabaseNameAttributes, span.Attributes(), resource); database != "" {
			edge.connection = connectionDatabase
			edge.server = side{service: database, seconds: seconds, recorded: true}
		}
		g.completeIfPaired(now, edgeKey{span.TraceID(), span.SpanID()}, edge)
	case ptrace.SpanKindServer, ptrace.SpanKindConsumer:
		recorded.dims = g.dimensions("server_", resource, span.Attributes())
		key := edgeKey{span.TraceID(), span.ParentSpanID()}
		edge := g.pendingFor(now, key)
		if edge == nil {
			return
		}
		edge.server = recorded
		if span.Kind() == ptrace.SpanKindConsumer {
			edge.connection = connectionMessaging
		}
		edge.root = span.ParentSpanID().IsEmpty()
		if edge.root {
			// A root server span was called from outside the traced system.
			edge.client = side{service: "user", recorded: true}
			edge.connection = connectionVirtualNode
		}
		g.completeIfPaired(now, key, edge)
	}
}

func (g *serviceGraph) pendingFor(now time.Time, key edgeKey) *pendingEdge {
	if edge, ok := g.pending[key]; ok {
		return edge
	}
	if len(g.pending) >= g.config.Store.MaxItems {
		g.dropped++
		if g.dropped == 1 || g.dropped%1000 == 0 {
			g.logger.Warn("service graph store full, spans dropped", zap.Int64("dropped", g.dropped), zap.Int("max_items", g.config.Store.MaxItems))
		}
		return nil
	}
	edge := &pendingEdge{created: now}
	g.pending[key] = edge
	return edge
}

func (g *serviceGraph) completeIfPaired(now time.Time, key edgeKey, edge *pendingEdge) {
	if edge.client.recorded && edge.server.recorded {
		delete(g.pending, key)
		g.record(now, edge)
	}
}

// expire turns client spans whose server never answered into edges to a virtual node (named by a
// peer attribute such as peer.service) and forgets the other unpaired spans.
func (g *serviceGraph) expire(now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for key, edge := range g.pending {
		if now.Sub(edge.created) < g.config.Store.TTL {
			continue
		}
		delete(g.pending, key)
		if edge.client.recorded && !edge.server.recorded && edge.peer != "" {
			edge.server = side{service: edge.peer, recorded: true}
			edge.connection = connectionVirtualNode
			g.record(now, edge)
		}
	}
}

func (g *serviceGraph) record(now time.Time, edge *pendingEdge) {
	failed := edge.client.failed || edge.server.failed
	attrs := pcommon.NewMap()
	attrs.PutStr("client", edge.client.service)
	attrs.PutStr("server", edge.server.service)
	attrs.PutStr("connection_type", edge.connection)
	attrs.PutBool("failed", failed)
	for _, dims := range []map[string]string{edge.client.dims, edge.server.dims} {
		for name, value := range dims {
			attrs.PutStr(name, value)
		}
	}
	key := seriesKey(attrs)
	s, ok := g.series[key]
	if !ok {
		s = &series{attrs: attrs}
		g.series[key] = s
	}
	s.total++
	if failed {
		s.failed++
	}
	s.server.observe(g.bounds, edge.server.seconds)
	s.client.observe(g.bounds, edge.client.seconds)
	s.lastUpdated = now
}

func (g *serviceGraph) dropStaleSeries(now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for key, s := range g.series {
		if now.Sub(s.lastUpdated) > seriesExpiry {
			delete(g.series, key)
		}
	}
}

func (g *serviceGraph) dimensions(prefix string, resource, span pcommon.Map) map[string]string {
	if len(g.config.Dimensions) == 0 {
		return nil
	}
	dims := make(map[string]string, len(g.config.Dimensions))
	for _, name := range g.config.Dimensions {
		if value := firstAttribute([]string{name}, span, resource); value != "" {
			dims[prefix+name] = value
		}
	}
	return dims
}

// firstAttribute returns the value of the first name found, looking in each map in order.
func firstAttribute(names []string, maps ...pcommon.Map) string {
	for _, name := range names {
		for _, attributes := range maps {
			if value, ok := attributes.Get(name); ok && value.AsString() != "" {
				return value.AsString()
			}
		}
	}
	return ""
}

func seriesKey(attrs pcommon.Map) string {
	parts := make([]string, 0, attrs.Len())
	for name, value := range attrs.All() {
		parts = append(parts, name+"\x00"+value.AsString())
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x01")
}

func (g *serviceGraph) flush(ctx context.Context) error {
	metrics := g.build(time.Now())
	if metrics.DataPointCount() == 0 {
		return nil
	}
	return g.next.ConsumeMetrics(ctx, metrics)
}

// build renders every series as cumulative metrics named like the contrib connector's.
func (g *serviceGraph) build(now time.Time) pmetric.Metrics {
	g.mu.Lock()
	defer g.mu.Unlock()
	metrics := pmetric.NewMetrics()
	if len(g.series) == 0 {
		return metrics
	}
	scope := metrics.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	scope.Scope().SetName("traces_service_graph")
	start := pcommon.NewTimestampFromTime(g.started)
	timestamp := pcommon.NewTimestampFromTime(now)

	total := newSum(scope, "traces_service_graph_request_total", "Requests between two services")
	failed := newSum(scope, "traces_service_graph_request_failed_total", "Failed requests between two services")
	server := newHistogram(scope, "traces_service_graph_request_server", "Duration of the request as seen by the server")
	client := newHistogram(scope, "traces_service_graph_request_client", "Duration of the request as seen by the client")

	keys := make([]string, 0, len(g.series))
	for key := range g.series {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		s := g.series[key]
		addSumPoint(total, s.attrs, start, timestamp, s.total)
		if s.failed > 0 {
			addSumPoint(failed, s.attrs, start, timestamp, s.failed)
		}
		addHistogramPoint(server, s.attrs, start, timestamp, g.bounds, s.server)
		addHistogramPoint(client, s.attrs, start, timestamp, g.bounds, s.client)
	}
	return metrics
}

func newSum(scope pmetric.ScopeMetrics, name, description string) pmetric.Sum {
	metric := scope.Metrics().AppendEmpty()
	metric.SetName(name)
	metric.SetDescription(description)
	sum := metric.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	return sum
}

func addSumPoint(sum pmetric.Sum, attrs pcommon.Map, start, timestamp pcommon.Timestamp, value int64) {
	point := sum.DataPoints().AppendEmpty()
	attrs.CopyTo(point.Attributes())
	point.SetStartTimestamp(start)
	point.SetTimestamp(timestamp)
	point.SetIntValue(value)
}

func newHistogram(scope pmetric.ScopeMetrics, name, description string) pmetric.Histogram {
	metric := scope.Metrics().AppendEmpty()
	metric.SetName(name)
	metric.SetDescription(description)
	metric.SetUnit("s")
	histogram := metric.SetEmptyHistogram()
	histogram.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	return histogram
}

func addHistogramPoint(histogram pmetric.Histogram, attrs pcommon.Map, start, timestamp pcommon.Timestamp, bounds []float64, h latencyHistogram) {
	point := histogram.DataPoints().AppendEmpty()
	attrs.CopyTo(point.Attributes())
	point.SetStartTimestamp(start)
	point.SetTimestamp(timestamp)
	point.ExplicitBounds().FromRaw(bounds)
	point.BucketCounts().FromRaw(h.counts)
	point.SetCount(h.count)
	point.SetSum(h.sum)
}
