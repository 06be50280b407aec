package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type psaResult struct {
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name"`
	Source    string   `json:"source"`
	Allowed   bool     `json:"allowed"`
	Reasons   []string `json:"reasons,omitempty"`
	Detail    string   `json:"detail,omitempty"`
}

// templatePaths says where each workload kind keeps its pod template, as the Pod Security
// admission plugin reads it.
var templatePaths = map[string][]string{
	"Pod":                   nil,
	"PodTemplate":           {"template"},
	"ReplicationController": {"spec", "template"},
	"ReplicaSet":            {"spec", "template"},
	"Deployment":            {"spec", "template"},
	"StatefulSet":           {"spec", "template"},
	"DaemonSet":             {"spec", "template"},
	"Job":                   {"spec", "template"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template"},
}

func evaluatePSA(docs []document, levelName, versionName string) ([]psaResult, error) {
	level, err := api.ParseLevel(levelName)
	if err != nil {
		return nil, fmt.Errorf("--level: %v", err)
	}
	version, err := api.ParseVersion(versionName)
	if err != nil {
		return nil, fmt.Errorf("--version: %v", err)
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return nil, err
	}
	lv := api.LevelVersion{Level: level, Version: version}
	var results []psaResult
	for _, doc := range docs {
		path, ok := templatePaths[doc.object.GetKind()]
		if !ok {
			continue
		}
		meta, spec, err := podTemplate(doc.object.Object, path)
		if err != nil {
			return nil, fmt.Errorf("%s: %s %s: %v", doc.source, doc.object.GetKind(), doc.object.GetName(), err)
		}
		aggregate := policy.AggregateCheckResults(evaluator.EvaluatePod(lv, meta, spec))
		results = append(results, psaResult{
			Kind:      doc.object.GetKind(),
			Namespace: doc.object.GetNamespace(),
			Name:      doc.object.GetName(),
			Source:    doc.source,
			Allowed:   aggregate.Allowed,
			Reasons:   aggregate.ForbiddenReasons,
			Detail:    aggregate.ForbiddenDetail(),
		})
	}
	if len(results) == 0 {
		return nil, errors.New("no pod templates in the input (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate)")
	}
	return results, nil
}

func podTemplate(object map[string]interface{}, path []string) (*metav1.ObjectMeta, *corev1.PodSpec, error) {
	template := object
	for _, key := range path {
		next, ok := template[key].(map[string]interface{})
		if !ok {
			return nil, nil, fmt.Errorf("no pod template at .%s", strings.Join(path, "."))
		}
		template = next
	}
	var pod corev1.PodTemplateSpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(template, &pod); err != nil {
		return nil, nil, err
	}
	return &pod.ObjectMeta, &pod.Spec, nil
}

func printPSA(w io.Writer, results []psaResult, asJSON bool) error {
	if asJSON {
		encoder := json.NewEncoder(w)
		encoder.SetIndent("", "  ")
		return encoder.Encode(results)
	}
	for _, r := range results {
		name := r.Name
		if r.Namespace != "" {
			name = r.Namespace + "/" + r.Name
		}
		if r.Allowed {
			fmt.Fprintf(w, "PASS %s %s\n", r.Kind, name)
		} else {
			fmt.Fprintf(w, "FAIL %s %s: %s\n", r.Kind, name, r.Detail)
		}
	}
	return nil
}
