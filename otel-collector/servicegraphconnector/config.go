// Package servicegraphconnector derives service-graph metrics (requests, failures and latency per
// edge between a calling and a called service) from traces. It accepts the settings and produces the
// metrics of the contrib servicegraph connector that the kit's configs use, so one config runs on
// both this build and the otel/opentelemetry-collector-contrib image.
package servicegraphconnector // import "qoslab.local/otelcol/servicegraphconnector"

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Config holds the connector's settings.
type Config struct {
	// LatencyHistogramBuckets are the explicit bucket bounds of the latency histograms.
	LatencyHistogramBuckets []time.Duration `mapstructure:"latency_histogram_buckets"`
	// Dimensions are span or resource attributes added to each edge as client_<name> and server_<name>.
	Dimensions []string `mapstructure:"dimensions"`
	// Store bounds the spans waiting for the other side of their edge.
	Store StoreConfig `mapstructure:"store"`
	// CacheLoop is how often series not updated for seriesExpiry are dropped.
	CacheLoop time.Duration `mapstructure:"cache_loop"`
	// StoreExpirationLoop is how often waiting spans older than Store.TTL are expired.
	StoreExpirationLoop time.Duration `mapstructure:"store_expiration_loop"`
	// VirtualNodePeerAttributes name the server of a client span that never meets a server span
	// (an uninstrumented peer), first match wins.
	VirtualNodePeerAttributes []string `mapstructure:"virtual_node_peer_attributes"`
	// MetricsFlushInterval is how often the metrics are sent on.
	MetricsFlushInterval time.Duration `mapstructure:"metrics_flush_interval"`
	// DatabaseNameAttributes identify a database call: a client span carrying one of them forms an
	// edge to the database at once, as no server span will answer it.
	DatabaseNameAttributes []string `mapstructure:"database_name_attributes"`
}

// StoreConfig bounds the pairing store.
type StoreConfig struct {
	MaxItems int           `mapstructure:"max_items"`
	TTL      time.Duration `mapstructure:"ttl"`
}

func createDefaultConfig() *Config {
	return &Config{
		LatencyHistogramBuckets: []time.Duration{
			2 * time.Millisecond, 4 * time.Millisecond, 6 * time.Millisecond, 8 * time.Millisecond,
			10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond,
			400 * time.Millisecond, 800 * time.Millisecond, time.Second, 1400 * time.Millisecond,
			2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second,
		},
		Store:                     StoreConfig{MaxItems: 1000, TTL: 2 * time.Second},
		CacheLoop:                 time.Minute,
		StoreExpirationLoop:       2 * time.Second,
		VirtualNodePeerAttributes: []string{"peer.service", "db.name", "db.system"},
		MetricsFlushInterval:      60 * time.Second,
		DatabaseNameAttributes:    []string{"db.name"},
	}
}

// Validate reports every invalid setting at once.
func (c *Config) Validate() error {
	var errs []error
	if len(c.LatencyHistogramBuckets) == 0 {
		errs = append(errs, errors.New("latency_histogram_buckets must not be empty"))
	}
	for i, bound := range c.LatencyHistogramBuckets {
		if bound <= 0 {
			errs = append(errs, fmt.Errorf("latency_histogram_buckets[%d] must be positive", i))
		}
		if i > 0 && bound <= c.LatencyHistogramBuckets[i-1] {
			errs = append(errs, fmt.Errorf("latency_histogram_buckets must be ascending (%s after %s)", bound, c.LatencyHistogramBuckets[i-1]))
		}
	}
	if c.Store.MaxItems <= 0 {
		errs = append(errs, errors.New("store.max_items must be positive"))
	}
	if c.Store.TTL <= 0 {
		errs = append(errs, errors.New("store.ttl must be positive"))
	}
	if c.CacheLoop <= 0 {
		errs = append(errs, errors.New("cache_loop must be positive"))
	}
	if c.StoreExpirationLoop <= 0 {
		errs = append(errs, errors.New("store_expiration_loop must be positive"))
	}
	if c.MetricsFlushInterval <= 0 {
		errs = append(errs, errors.New("metrics_flush_interval must be positive"))
	}
	for _, dim := range c.Dimensions {
		if dim == "" {
			errs = append(errs, errors.New("dimensions must not contain an empty name"))
		}
	}
	if slices.Contains(c.DatabaseNameAttributes, "") || slices.Contains(c.VirtualNodePeerAttributes, "") {
		errs = append(errs, errors.New("attribute lists must not contain an empty name"))
	}
	return errors.Join(errs...)
}
