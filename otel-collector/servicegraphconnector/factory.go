package servicegraphconnector // import "qoslab.local/otelcol/servicegraphconnector"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
)

// The contrib connector's type, so the kit's configs name it the same way for both builds.
var componentType = component.MustNewType("servicegraph")

// NewFactory returns the factory of the traces-to-metrics service graph connector.
func NewFactory() connector.Factory {
	return connector.NewFactory(
		componentType,
		func() component.Config { return createDefaultConfig() },
		connector.WithTracesToMetrics(createTracesToMetrics, component.StabilityLevelAlpha),
	)
}

func createTracesToMetrics(_ context.Context, settings connector.Settings, config component.Config, next consumer.Metrics) (connector.Traces, error) {
	return newServiceGraph(config.(*Config), settings.Logger, next), nil
}
