package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Limit names reported in limitExceeded. They are part of the contract with the operator.
const (
	LimitCPUTime   = "cpuTime"
	LimitWallTime  = "wallTime"
	LimitMemory    = "memory"
	LimitOutput    = "output"
	LimitFileSize  = "fileSize"
	LimitProcesses = "processes"
)

// CompileResult reports the compile step; output is stdout and stderr merged. The output is
// written by ResultWriter as "output" and "outputEncoding", after the other fields.
type CompileResult struct {
	ExitCode        *int    `json:"exitCode"`
	Signal          *int    `json:"signal"`
	Output          []byte  `json:"-"`
	OutputTruncated bool    `json:"outputTruncated"`
	CPUTimeMillis   int64   `json:"cpuTimeMillis"`
	WallTimeMillis  int64   `json:"wallTimeMillis"`
	LimitExceeded   *string `json:"limitExceeded"`
}

// Succeeded tells whether the tests may run: a clean exit 0 within every limit.
func (c *CompileResult) Succeeded() bool {
	return c.ExitCode != nil && *c.ExitCode == 0 && c.Signal == nil && c.LimitExceeded == nil
}

// Run reports one run of a program (a test's, or the checker's on a test). Stdout and stderr
// are written by ResultWriter with their encodings, after the other fields.
type Run struct {
	ExitCode        *int    `json:"exitCode"`
	Signal          *int    `json:"signal"`
	CPUTimeMillis   int64   `json:"cpuTimeMillis"`
	WallTimeMillis  int64   `json:"wallTimeMillis"`
	MemoryKiB       int64   `json:"memoryKiB"`
	Stdout          []byte  `json:"-"`
	Stderr          []byte  `json:"-"`
	StdoutTruncated bool    `json:"stdoutTruncated"`
	StderrTruncated bool    `json:"stderrTruncated"`
	LimitExceeded   *string `json:"limitExceeded"`
}

// Finished tells whether a run ended by itself with exit 0 within every limit.
func (r *Run) Finished() bool {
	return r.ExitCode != nil && *r.ExitCode == 0 && r.LimitExceeded == nil && !r.StdoutTruncated && !r.StderrTruncated
}

// TestResult reports one run of the program on one test's stdin, and the checker's run on
// its output (written as "checker", after the outputs) when the job has a checker and the
// program finished.
type TestResult struct {
	Name string `json:"name"`
	Run
	Checker *Run `json:"-"`
	// Interactor is the interactor's run beside the program (written as "interactor").
	Interactor *Run `json:"-"`
}

// ResultWriter streams the result document that `runner run` prints (see PROTOCOL.md): the
// compile step, the checker's compile step, each test as it finishes, then the error. The
// runner thus holds one run's output at a time, and each output goes from its capture to
// stdout without a copy of the document being built.
type ResultWriter struct {
	w      *bufio.Writer
	opened bool // `{"compile":...` is written
	listed bool // `,"tests":[` is written
	tests  int
}

func NewResultWriter(w io.Writer) *ResultWriter {
	return &ResultWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

// Compile writes the compile step's result. It must come first.
func (r *ResultWriter) Compile(c CompileResult) {
	if r.opened {
		panic("protocol: the compile result must be written first")
	}
	r.opened = true
	r.w.WriteString(`{"compile":`)
	r.object(c, output{"output", c.Output})
}

// CheckerCompile writes the checker's compile step. It must come before any test.
func (r *ResultWriter) CheckerCompile(c CompileResult) { r.judgeCompile("checkerCompile", c) }

// InteractorCompile writes the interactor's compile step. It must come before any test.
func (r *ResultWriter) InteractorCompile(c CompileResult) { r.judgeCompile("interactorCompile", c) }

func (r *ResultWriter) judgeCompile(key string, c CompileResult) {
	if r.listed {
		panic("protocol: the " + key + " result must be written before any test")
	}
	r.open()
	r.w.WriteString(`,"` + key + `":`)
	r.object(c, output{"output", c.Output})
}

// Test writes one test's result.
func (r *ResultWriter) Test(t TestResult) {
	r.list()
	if r.tests > 0 {
		r.w.WriteByte(',')
	}
	r.tests++
	r.fields(t, output{"stdout", t.Stdout}, output{"stderr", t.Stderr})
	if t.Checker != nil {
		r.w.WriteString(`,"checker":`)
		r.object(*t.Checker, output{"stdout", t.Checker.Stdout}, output{"stderr", t.Checker.Stderr})
	}
	if t.Interactor != nil {
		r.w.WriteString(`,"interactor":`)
		r.object(*t.Interactor, output{"stdout", t.Interactor.Stdout}, output{"stderr", t.Interactor.Stderr})
	}
	r.w.WriteByte('}')
}

// Finish writes the error (nil for none), ends the document with a newline and flushes it.
// It returns the first error writing met.
func (r *ResultWriter) Finish(message *string) error {
	r.list()
	r.w.WriteString(`],"error":`)
	r.value(message)
	r.w.WriteString("}\n")
	return r.w.Flush()
}

func (r *ResultWriter) open() {
	if !r.opened {
		r.opened = true
		r.w.WriteString(`{"compile":null`)
	}
}

func (r *ResultWriter) list() {
	r.open()
	if !r.listed {
		r.listed = true
		r.w.WriteString(`,"tests":[`)
	}
}

type output struct {
	name string
	data []byte
}

// object writes the JSON object of fields followed by each output and its encoding.
func (r *ResultWriter) object(fields any, outputs ...output) {
	r.fields(fields, outputs...)
	r.w.WriteByte('}')
}

// fields writes object without its closing brace, so that more may follow.
func (r *ResultWriter) fields(fields any, outputs ...output) {
	obj := r.encode(fields)
	r.w.Write(bytes.TrimSuffix(obj, []byte("}")))
	for _, o := range outputs {
		enc := OutputEncoding(o.data)
		fmt.Fprintf(r.w, `,"%s":`, o.name)
		_ = writeOutput(r.w, o.data, enc) // a failed write stays in r.w and Finish reports it
		fmt.Fprintf(r.w, `,"%sEncoding":"%s"`, o.name, enc)
	}
}

func (r *ResultWriter) value(v any) { r.w.Write(r.encode(v)) }

// encode is json.Marshal without HTML escaping, which would blow "<" up into six bytes.
func (r *ResultWriter) encode(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("protocol: cannot encode %T: %v", v, err)) // plain structs always encode
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
