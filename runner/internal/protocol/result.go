package protocol

// Limit names reported in limitExceeded. They are part of the contract with the operator.
const (
	LimitCPUTime   = "cpuTime"
	LimitWallTime  = "wallTime"
	LimitMemory    = "memory"
	LimitOutput    = "output"
	LimitFileSize  = "fileSize"
	LimitProcesses = "processes"
)

// Result is the document `runner run` prints on stdout. See PROTOCOL.md.
type Result struct {
	Compile *CompileResult `json:"compile"`
	Tests   []TestResult   `json:"tests"`
	Error   *string        `json:"error"`
}

// CompileResult reports the compile step; output is stdout and stderr merged.
type CompileResult struct {
	ExitCode        *int    `json:"exitCode"`
	Signal          *int    `json:"signal"`
	Output          string  `json:"output"`
	OutputTruncated bool    `json:"outputTruncated"`
	CPUTimeMillis   int64   `json:"cpuTimeMillis"`
	WallTimeMillis  int64   `json:"wallTimeMillis"`
	LimitExceeded   *string `json:"limitExceeded"`
}

// Succeeded tells whether the tests may run: a clean exit 0 within every limit.
func (c *CompileResult) Succeeded() bool {
	return c.ExitCode != nil && *c.ExitCode == 0 && c.Signal == nil && c.LimitExceeded == nil
}

// TestResult reports one run of the program on one test's stdin.
type TestResult struct {
	Name            string  `json:"name"`
	ExitCode        *int    `json:"exitCode"`
	Signal          *int    `json:"signal"`
	CPUTimeMillis   int64   `json:"cpuTimeMillis"`
	WallTimeMillis  int64   `json:"wallTimeMillis"`
	MemoryKiB       int64   `json:"memoryKiB"`
	Stdout          string  `json:"stdout"`
	Stderr          string  `json:"stderr"`
	StdoutTruncated bool    `json:"stdoutTruncated"`
	StderrTruncated bool    `json:"stderrTruncated"`
	LimitExceeded   *string `json:"limitExceeded"`
}

// Failed builds the result for a runner failure, keeping whatever was already measured.
func Failed(partial Result, message string) Result {
	partial.Error = &message
	if partial.Tests == nil {
		partial.Tests = []TestResult{}
	}
	return partial
}
