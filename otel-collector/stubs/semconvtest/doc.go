// Package semconvtest is an empty stand-in for the contrib test helper of the same path, which the
// Go module proxy does not serve at v0.162.0. Only k8sattributesprocessor's own tests import it;
// `go mod tidy` must resolve it, but nothing of it is compiled into the Collector.
package semconvtest
