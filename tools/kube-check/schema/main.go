// Command kube-check-schema validates Kubernetes objects against the OpenAPI v3 documents of a
// Kubernetes release with sigs.k8s.io/kubectl-validate, offline: the documents come from
// api/openapi-spec/v3 of the k8s.io/kubernetes module (build.sh lays them out under --schemas).
// It is a module of its own because kubectl-validate v0.0.4 builds only with the Kubernetes
// v0.30 libraries, older than the Pod Security library kube-check uses.
//
// Usage: kube-check-schema --schemas DIR [--json] FILE|DIR|-...
// Exit status: 0 every object is valid, 1 at least one is not, 2 bad input or usage.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kubectl-validate/pkg/openapiclient"
	"sigs.k8s.io/kubectl-validate/pkg/utils"
	"sigs.k8s.io/kubectl-validate/pkg/validator"
	"sigs.k8s.io/yaml"
)

type result struct {
	Source     string `json:"source"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	Valid      bool   `json:"valid"`
	Error      string `json:"error,omitempty"`
}

type input struct {
	source string
	data   []byte
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kube-check-schema", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	schemas := fs.String("schemas", "", "directory with api/<version>.json and apis/<group>/<version>.json")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "kube-check schema: %v\n", err)
		return 2
	}
	if *schemas == "" || fs.NArg() == 0 {
		fmt.Fprintln(stderr, "kube-check schema: usage: kube-check-schema --schemas DIR [--json] FILE|DIR|-...")
		return 2
	}
	if _, err := os.Stat(filepath.Join(*schemas, "api", "v1.json")); err != nil {
		fmt.Fprintf(stderr, "kube-check schema: no OpenAPI documents in %s\n", *schemas)
		return 2
	}
	factory, err := validator.New(openapiclient.NewLocalSchemaFiles(os.DirFS(*schemas)))
	if err != nil {
		fmt.Fprintf(stderr, "kube-check schema: %v\n", err)
		return 2
	}
	inputs, err := readInputs(fs.Args(), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "kube-check schema: %v\n", err)
		return 2
	}
	var results []result
	for _, in := range inputs {
		docs, err := utils.SplitYamlDocuments(in.data)
		if err != nil {
			fmt.Fprintf(stderr, "kube-check schema: %s: %v\n", in.source, err)
			return 2
		}
		for _, doc := range docs {
			if utils.IsEmptyYamlDocument(doc) {
				continue
			}
			items, err := expandList(doc)
			if err != nil {
				fmt.Fprintf(stderr, "kube-check schema: %s: %v\n", in.source, err)
				return 2
			}
			for _, item := range items {
				results = append(results, validate(factory, in.source, item))
			}
		}
	}
	if len(results) == 0 {
		fmt.Fprintln(stderr, "kube-check schema: no Kubernetes objects in the input")
		return 2
	}
	if *asJSON {
		encoder := json.NewEncoder(stdout)
		encoder.SetIndent("", "  ")
		if err := encoder.Encode(results); err != nil {
			fmt.Fprintf(stderr, "kube-check schema: %v\n", err)
			return 2
		}
	} else {
		for _, r := range results {
			name := r.Name
			if r.Namespace != "" {
				name = r.Namespace + "/" + r.Name
			}
			if r.Valid {
				fmt.Fprintf(stdout, "PASS %s %s %s\n", r.APIVersion, r.Kind, name)
			} else {
				fmt.Fprintf(stdout, "FAIL %s %s %s: %s\n", r.APIVersion, r.Kind, name, strings.ReplaceAll(r.Error, "\n", " "))
			}
		}
	}
	for _, r := range results {
		if !r.Valid {
			return 1
		}
	}
	return 0
}

func validate(factory *validator.Validator, source string, doc []byte) result {
	r := result{Source: source}
	var head unstructured.Unstructured
	if err := yaml.Unmarshal(doc, &head.Object); err == nil {
		r.APIVersion, r.Kind, r.Namespace, r.Name = head.GetAPIVersion(), head.GetKind(), head.GetNamespace(), head.GetName()
	}
	_, parsed, err := factory.Parse(doc)
	if err == nil {
		err = factory.Validate(parsed)
	}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Valid = true
	return r
}

// expandList returns the items of a List document as separate documents, or the document itself.
func expandList(doc []byte) ([][]byte, error) {
	var object map[string]interface{}
	if err := yaml.Unmarshal(doc, &object); err != nil {
		return nil, err
	}
	items, isList := object["items"].([]interface{})
	kind, _ := object["kind"].(string)
	if !isList || !strings.HasSuffix(kind, "List") {
		return [][]byte{doc}, nil
	}
	out := make([][]byte, 0, len(items))
	for _, item := range items {
		data, err := json.Marshal(item)
		if err != nil {
			return nil, err
		}
		out = append(out, data)
	}
	return out, nil
}

func readInputs(args []string, stdin io.Reader) ([]input, error) {
	var inputs []input
	for _, arg := range args {
		if arg == "-" {
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("stdin: %w", err)
			}
			inputs = append(inputs, input{"stdin", data})
			continue
		}
		info, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			data, err := os.ReadFile(arg)
			if err != nil {
				return nil, err
			}
			inputs = append(inputs, input{arg, data})
			continue
		}
		var files []string
		err = filepath.WalkDir(arg, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					files = append(files, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, err
			}
			inputs = append(inputs, input{file, data})
		}
	}
	if len(inputs) == 0 || allBlank(inputs) {
		return nil, errors.New("no Kubernetes objects in the input")
	}
	return inputs, nil
}

func allBlank(inputs []input) bool {
	for _, in := range inputs {
		if len(bytes.TrimSpace(in.data)) > 0 {
			return false
		}
	}
	return true
}
