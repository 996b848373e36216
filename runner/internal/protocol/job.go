// Package protocol holds the job and result documents exchanged with the operator
// (PROTOCOL.md is the human-readable copy) and the validation of incoming jobs.
package protocol

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// MaxJobBytes caps the job document after decompression, so a gzip bomb cannot exhaust memory.
const MaxJobBytes = 64 << 20

// File is one file written into the work directory before the compile step.
type File struct {
	Path     string
	Content  []byte
	Encoding string
}

// Test is one run of the program: its name, the bytes given on stdin, and for a job with a
// checker the expected output handed to the checker (never to the program).
type Test struct {
	Name   string
	Stdin  string
	Answer string
}

// Limits bound one process tree (the compile step, or one test).
type Limits struct {
	CPUTimeMillis  int64
	WallTimeMillis int64
	MemoryMiB      int64
	OutputBytes    int64
	Processes      int64
	FileSizeBytes  int64
}

// DefaultCompileLimits apply to the compile step when the job has no compileLimits.
// Compilers need more room than the programs they build (javac is a JVM with many threads).
var DefaultCompileLimits = Limits{
	CPUTimeMillis:  20000,
	WallTimeMillis: 40000,
	MemoryMiB:      1024,
	OutputBytes:    65536,
	Processes:      128,
	FileSizeBytes:  256 << 20,
}

// Job is a validated job document.
type Job struct {
	Files          []File
	CompileCommand []string // nil when the job has no compile step
	// CompileOutputs: when set, what the runs need of the compile step's work directory (path
	// patterns); everything else is removed after a successful compile.
	CompileOutputs []string
	RunCommand     []string
	Tests          []Test
	Limits         Limits
	CompileLimits  Limits
	Env            []EnvVar // added to the runner's fixed environment, in order
	Checker        *Checker // nil when the operator compares the output itself
	// Interactor, for an interactive problem: it runs beside the program on each test, its
	// stdout is the program's stdin and the program's stdout its stdin. Never with Checker.
	Interactor *Checker
}

// Checker is a problem setter's program, compiled once in a directory of its own: the
// checker, which judges each test's output (testlib's convention) after each test that ended
// cleanly with the input, the output and the answer as files; or the interactor, which talks
// to the program during each test with the input and the answer as files.
type Checker struct {
	Files          []File
	CompileCommand []string // nil when the checker has no compile step
	RunCommand     []string
	Limits         Limits
	CompileLimits  Limits
	Env            []EnvVar
}

type wireFile struct {
	Path     *string `json:"path"`
	Content  *string `json:"content"`
	Encoding string  `json:"encoding"`
}

type wireStep struct {
	Command []string `json:"command"`
	Outputs []string `json:"outputs"`
}

type wireTest struct {
	Name   *string `json:"name"`
	Stdin  string  `json:"stdin"`
	Answer *string `json:"answer"`
}

type wireChecker struct {
	Files         []wireFile  `json:"files"`
	Compile       *wireStep   `json:"compile"`
	Run           *wireStep   `json:"run"`
	Limits        *wireLimits `json:"limits"`
	CompileLimits *wireLimits `json:"compileLimits"`
	Env           []wireEnv   `json:"env"`
}

type wireLimits struct {
	CPUTimeMillis  *int64 `json:"cpuTimeMillis"`
	WallTimeMillis *int64 `json:"wallTimeMillis"`
	MemoryMiB      *int64 `json:"memoryMiB"`
	OutputBytes    *int64 `json:"outputBytes"`
	Processes      *int64 `json:"processes"`
	FileSizeBytes  *int64 `json:"fileSizeBytes"`
}

type wireJob struct {
	Files         []wireFile   `json:"files"`
	Compile       *wireStep    `json:"compile"`
	Run           *wireStep    `json:"run"`
	Tests         []wireTest   `json:"tests"`
	Limits        *wireLimits  `json:"limits"`
	CompileLimits *wireLimits  `json:"compileLimits"`
	Env           []wireEnv    `json:"env"`
	Checker       *wireChecker `json:"checker"`
	Interactor    *wireChecker `json:"interactor"`
}

// ReadJob reads a whole job document, gunzipping it first when it starts with the gzip magic
// (the operator compresses every job), and validates it.
//
// A gzip'd job is read as exactly one gzip member, without waiting for the end of r: the
// operator keeps the runner's stdin open until it has the whole result (see main's runCommand).
// An uncompressed job is read to the end of r.
func ReadJob(r io.Reader) (Job, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return Job{}, fmt.Errorf("job document starts with the gzip magic but is not valid gzip: %v", err)
		}
		zr.Multistream(false)
		raw, err := readCapped(zr)
		if err != nil {
			return Job{}, fmt.Errorf("job document is not valid gzip: %v", err)
		}
		return ParseJob(raw)
	}
	raw, err := readCapped(br)
	if err != nil {
		return Job{}, err
	}
	return ParseJob(raw)
}

func readCapped(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxJobBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the job document: %v", err)
	}
	if len(data) > MaxJobBytes {
		return nil, fmt.Errorf("job document is larger than %d MiB: send fewer or smaller files", MaxJobBytes>>20)
	}
	return data, nil
}

// ParseJob decodes and validates an uncompressed job document.
func ParseJob(raw []byte) (Job, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return Job{}, errors.New("job document is empty: give a JSON object with files, run, tests and limits")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var w wireJob
	if err := dec.Decode(&w); err != nil {
		return Job{}, fmt.Errorf("job document is not valid JSON of the expected shape: %v", err)
	}
	if dec.More() {
		return Job{}, errors.New("job document has data after the JSON object: send exactly one object")
	}
	return w.validate()
}

func validateFiles(prefix string, wire []wireFile) ([]File, error) {
	var files []File
	seen := map[string]int{}
	for i, f := range wire {
		file, err := f.validate(prefix, i)
		if err != nil {
			return nil, err
		}
		if j, dup := seen[file.Path]; dup {
			return nil, fmt.Errorf("%sfiles[%d].path %q names the same file as %sfiles[%d]: give each file once", prefix, i, file.Path, prefix, j)
		}
		seen[file.Path] = i
		files = append(files, file)
	}
	return files, nil
}

func (w wireJob) validate() (Job, error) {
	var job Job
	var err error
	if job.Files, err = validateFiles("", w.Files); err != nil {
		return Job{}, err
	}
	if w.Compile != nil {
		if err := validateCommand("compile.command", w.Compile.Command); err != nil {
			return Job{}, err
		}
		job.CompileCommand = w.Compile.Command
		for i, pattern := range w.Compile.Outputs {
			if err := validateOutputPattern(pattern); err != nil {
				return Job{}, fmt.Errorf("compile.outputs[%d] %q %v", i, pattern, err)
			}
		}
		job.CompileOutputs = w.Compile.Outputs
	}
	if w.Run == nil {
		return Job{}, errors.New(`run is missing: give the program to run, e.g. "run": {"command": ["./main"]}`)
	}
	if err := validateCommand("run.command", w.Run.Command); err != nil {
		return Job{}, err
	}
	if w.Run.Outputs != nil {
		return Job{}, errors.New("run.outputs is not allowed: only the compile step has outputs (compile.outputs)")
	}
	job.RunCommand = w.Run.Command
	names := map[string]int{}
	for i, t := range w.Tests {
		if t.Name == nil || *t.Name == "" {
			return Job{}, fmt.Errorf("tests[%d].name is missing: give every test a non-empty name", i)
		}
		if j, dup := names[*t.Name]; dup {
			return Job{}, fmt.Errorf("tests[%d].name %q is also the name of tests[%d]: test names must be unique", i, *t.Name, j)
		}
		names[*t.Name] = i
		if t.Answer != nil && w.Checker == nil && w.Interactor == nil {
			return Job{}, fmt.Errorf("tests[%d].answer is only for a checker or an interactor: add one or remove the answer", i)
		}
		test := Test{Name: *t.Name, Stdin: t.Stdin}
		if t.Answer != nil {
			test.Answer = *t.Answer
		}
		job.Tests = append(job.Tests, test)
	}
	if w.Limits == nil {
		return Job{}, errors.New("limits is missing: give cpuTimeMillis, wallTimeMillis, memoryMiB, outputBytes, processes and fileSizeBytes")
	}
	if job.Limits, err = w.Limits.validate("limits"); err != nil {
		return Job{}, err
	}
	job.CompileLimits = DefaultCompileLimits
	if w.CompileLimits != nil {
		if job.CompileLimits, err = w.CompileLimits.validate("compileLimits"); err != nil {
			return Job{}, err
		}
	}
	if job.Env, err = validateEnv(w.Env); err != nil {
		return Job{}, err
	}
	if w.Checker != nil && w.Interactor != nil {
		return Job{}, errors.New("checker and interactor are both given: an interactive problem's interactor gives the verdict itself; remove one")
	}
	if w.Checker != nil {
		if job.Checker, err = w.Checker.validate("checker"); err != nil {
			return Job{}, err
		}
	}
	if w.Interactor != nil {
		if job.Interactor, err = w.Interactor.validate("interactor"); err != nil {
			return Job{}, err
		}
	}
	return job, nil
}

// validate checks the checker or interactor (name says which).
func (w wireChecker) validate(name string) (*Checker, error) {
	var c Checker
	var err error
	if c.Files, err = validateFiles(name+".", w.Files); err != nil {
		return nil, err
	}
	if w.Compile != nil {
		if err := validateCommand(name+".compile.command", w.Compile.Command); err != nil {
			return nil, err
		}
		c.CompileCommand = w.Compile.Command
	}
	if w.Run == nil {
		return nil, fmt.Errorf(`%s.run is missing: give the %s's command, e.g. "run": {"command": ["./%s"]}`, name, name, name)
	}
	if err := validateCommand(name+".run.command", w.Run.Command); err != nil {
		return nil, err
	}
	c.RunCommand = w.Run.Command
	if w.Limits == nil {
		return nil, fmt.Errorf("%s.limits is missing: give cpuTimeMillis, wallTimeMillis, memoryMiB, outputBytes, processes and fileSizeBytes", name)
	}
	if c.Limits, err = w.Limits.validate(name + ".limits"); err != nil {
		return nil, err
	}
	c.CompileLimits = DefaultCompileLimits
	if w.CompileLimits != nil {
		if c.CompileLimits, err = w.CompileLimits.validate(name + ".compileLimits"); err != nil {
			return nil, err
		}
	}
	if c.Env, err = validateEnv(w.Env); err != nil {
		return nil, fmt.Errorf("%s.%v", name, err)
	}
	return &c, nil
}

func (f wireFile) validate(prefix string, i int) (File, error) {
	if f.Path == nil {
		return File{}, fmt.Errorf("%sfiles[%d].path is missing: give a path relative to the work directory", prefix, i)
	}
	clean, err := CleanPath(*f.Path)
	if err != nil {
		return File{}, fmt.Errorf("%sfiles[%d].path: %v", prefix, i, err)
	}
	if f.Content == nil {
		return File{}, fmt.Errorf("%sfiles[%d].content is missing (use \"\" for an empty file)", prefix, i)
	}
	file := File{Path: clean, Encoding: f.Encoding}
	switch f.Encoding {
	case "", "utf8":
		file.Encoding = "utf8"
		file.Content = []byte(*f.Content)
	case "base64":
		data, err := base64.StdEncoding.DecodeString(*f.Content)
		if err != nil {
			return File{}, fmt.Errorf("%sfiles[%d].content is not valid standard base64: %v", prefix, i, err)
		}
		file.Content = data
	default:
		return File{}, fmt.Errorf("%sfiles[%d].encoding %q is not supported: use \"utf8\" or \"base64\"", prefix, i, f.Encoding)
	}
	return file, nil
}

func validateCommand(field string, argv []string) error {
	if len(argv) == 0 {
		return fmt.Errorf("%s is missing or empty: give the argv array, e.g. [\"./main\"]", field)
	}
	for i, arg := range argv {
		if strings.IndexByte(arg, 0) >= 0 {
			return fmt.Errorf("%s[%d] contains a NUL byte, which no program argument can hold", field, i)
		}
	}
	if argv[0] == "" {
		return fmt.Errorf("%s[0] is empty: name the program to run", field)
	}
	return nil
}

// limitBounds are generous sanity bounds: anything above is a mistake in units, not a real limit.
var limitBounds = []struct {
	name string
	get  func(*wireLimits) *int64
	set  func(*Limits, int64)
	max  int64
	unit string
}{
	{"cpuTimeMillis", func(l *wireLimits) *int64 { return l.CPUTimeMillis }, func(l *Limits, v int64) { l.CPUTimeMillis = v }, 24 * 3600 * 1000, "milliseconds"},
	{"wallTimeMillis", func(l *wireLimits) *int64 { return l.WallTimeMillis }, func(l *Limits, v int64) { l.WallTimeMillis = v }, 24 * 3600 * 1000, "milliseconds"},
	{"memoryMiB", func(l *wireLimits) *int64 { return l.MemoryMiB }, func(l *Limits, v int64) { l.MemoryMiB = v }, 1 << 20, "MiB"},
	{"outputBytes", func(l *wireLimits) *int64 { return l.OutputBytes }, func(l *Limits, v int64) { l.OutputBytes = v }, 1 << 30, "bytes"},
	{"processes", func(l *wireLimits) *int64 { return l.Processes }, func(l *Limits, v int64) { l.Processes = v }, 1 << 16, "tasks"},
	{"fileSizeBytes", func(l *wireLimits) *int64 { return l.FileSizeBytes }, func(l *Limits, v int64) { l.FileSizeBytes = v }, 1 << 40, "bytes"},
}

func (w *wireLimits) validate(field string) (Limits, error) {
	var out Limits
	for _, b := range limitBounds {
		v := b.get(w)
		if v == nil {
			return Limits{}, fmt.Errorf("%s.%s is missing: give a positive integer (%s)", field, b.name, b.unit)
		}
		if *v <= 0 || *v > b.max {
			return Limits{}, fmt.Errorf("%s.%s is %d: give a positive integer (%s) no larger than %d", field, b.name, *v, b.unit, b.max)
		}
		b.set(&out, *v)
	}
	return out, nil
}

// validateOutputPattern accepts a pattern of filepath.Match over a path relative to the work
// directory: "main", "*.class", "pkg/*.class".
func validateOutputPattern(pattern string) error {
	if pattern == "" || strings.HasPrefix(pattern, "/") {
		return errors.New(`is not a relative path pattern: give one such as "main" or "*.class"`)
	}
	for _, part := range strings.Split(pattern, "/") {
		if part == ".." || part == "." || part == "" {
			return errors.New(`has an empty, "." or ".." component: name paths inside the work directory`)
		}
	}
	if _, err := filepath.Match(pattern, ""); err != nil {
		return errors.New("is not a valid pattern (see Go's filepath.Match)")
	}
	return nil
}
