package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// document is one Kubernetes object read from the input, with where it came from.
type document struct {
	source string
	object *unstructured.Unstructured
}

// readInputs reads every YAML or JSON document from files, directories (*.yaml, *.yml, *.json,
// recursively) and "-" (stdin). Lists (kind: List, or any *List with items) are expanded.
func readInputs(args []string, stdin io.Reader) ([]document, error) {
	var docs []document
	for _, arg := range args {
		if arg == "-" {
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("stdin: %w", err)
			}
			more, err := decodeAll("stdin", data)
			if err != nil {
				return nil, err
			}
			docs = append(docs, more...)
			continue
		}
		files, err := expand(arg)
		if err != nil {
			return nil, err
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, err
			}
			more, err := decodeAll(file, data)
			if err != nil {
				return nil, err
			}
			docs = append(docs, more...)
		}
	}
	if len(docs) == 0 {
		return nil, errors.New("no Kubernetes objects in the input")
	}
	return docs, nil
}

func expand(arg string) ([]string, error) {
	info, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{arg}, nil
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
	sort.Strings(files)
	return files, err
}

func decodeAll(source string, data []byte) ([]document, error) {
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var docs []document
	for index := 1; ; index++ {
		var raw map[string]interface{}
		if err := decoder.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, fmt.Errorf("%s: document %d: %v", source, index, err)
		}
		if raw == nil {
			continue
		}
		obj := &unstructured.Unstructured{Object: raw}
		if obj.GetKind() == "" {
			return nil, fmt.Errorf("%s: document %d has no kind", source, index)
		}
		if obj.IsList() {
			list, err := obj.ToList()
			if err != nil {
				return nil, fmt.Errorf("%s: document %d: %v", source, index, err)
			}
			for i := range list.Items {
				docs = append(docs, document{source: source, object: &list.Items[i]})
			}
			continue
		}
		docs = append(docs, document{source: source, object: obj})
	}
}
