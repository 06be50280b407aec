// Command kube-check runs the manifest checks that need upstream Kubernetes code:
//
//	kube-check psa [--level restricted] [--version latest] [--json] FILE|DIR|-...
//	    evaluates every pod template with the Pod Security Admission library
//	    (the same evaluator the API server runs for namespaces labelled
//	    pod-security.kubernetes.io/enforce).
//	kube-check schema [--json] FILE|DIR|-...
//	    validates every object against the OpenAPI schemas of the Kubernetes
//	    version the kind cluster runs, with sigs.k8s.io/kubectl-validate
//	    (a separate binary next to this one, because it needs older
//	    Kubernetes libraries than the Pod Security library does).
//
// Exit status: 0 all objects pass, 1 at least one fails, 2 bad input or usage.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

const usage = `usage: kube-check psa [--level L] [--version V] [--json] FILE|DIR|-...
       kube-check schema [--json] FILE|DIR|-...`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	switch args[0] {
	case "psa":
		return runPSA(args[1:], stdin, stdout, stderr)
	case "schema":
		return runSchema(args[1:], stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "kube-check: unknown command %q\n%s\n", args[0], usage)
		return 2
	}
}

func runPSA(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("psa", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	level := fs.String("level", "restricted", "Pod Security level: privileged, baseline or restricted")
	version := fs.String("version", "latest", "Pod Security version, e.g. latest or v1.36")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "kube-check psa: %v\n", err)
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "kube-check psa: no input (give files, directories or - for stdin)")
		return 2
	}
	docs, err := readInputs(fs.Args(), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "kube-check psa: %v\n", err)
		return 2
	}
	results, err := evaluatePSA(docs, *level, *version)
	if err != nil {
		fmt.Fprintf(stderr, "kube-check psa: %v\n", err)
		return 2
	}
	if err := printPSA(stdout, results, *asJSON); err != nil {
		fmt.Fprintf(stderr, "kube-check psa: %v\n", err)
		return 2
	}
	for _, r := range results {
		if !r.Allowed {
			return 1
		}
	}
	return 0
}

// runSchema hands over to kube-check-schema, built next to this binary by build.sh together with
// the OpenAPI documents it reads.
func runSchema(args []string, stderr io.Writer) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "kube-check schema: %v\n", err)
		return 2
	}
	dir := filepath.Dir(self)
	validator := filepath.Join(dir, "kube-check-schema")
	schemas := filepath.Join(dir, "schemas")
	if _, err := os.Stat(validator); err != nil {
		fmt.Fprintf(stderr, "kube-check schema: %s is missing; build with tools/kube-check/build.sh\n", validator)
		return 2
	}
	argv := append([]string{validator, "--schemas", schemas}, args...)
	err = syscall.Exec(validator, argv, os.Environ())
	// Exec returns only when it failed.
	fmt.Fprintf(stderr, "kube-check schema: %v\n", err)
	return 2
}
