package protocol

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

const validLimits = `{"cpuTimeMillis": 2000, "wallTimeMillis": 5000, "memoryMiB": 256, "outputBytes": 65536, "processes": 16, "fileSizeBytes": 1048576}`

const validJob = `{"files": [{"path": "main.c", "content": "int main(){}"}, {"path": "data.bin", "content": "AAE=", "encoding": "base64"}],
 "compile": {"command": ["gcc", "-O2", "-o", "main", "main.c"]},
 "run": {"command": ["./main"]},
 "tests": [{"name": "1", "stdin": "1 2\n"}, {"name": "2"}],
 "limits": ` + validLimits + `}`

func TestParseJobReadsEveryField(t *testing.T) {
	job, err := ParseJob([]byte(validJob))
	if err != nil {
		t.Fatal(err)
	}
	if len(job.Files) != 2 || string(job.Files[0].Content) != "int main(){}" || !bytes.Equal(job.Files[1].Content, []byte{0, 1}) {
		t.Errorf("files = %+v", job.Files)
	}
	if strings.Join(job.CompileCommand, " ") != "gcc -O2 -o main main.c" || strings.Join(job.RunCommand, " ") != "./main" {
		t.Errorf("commands = %v / %v", job.CompileCommand, job.RunCommand)
	}
	if len(job.Tests) != 2 || job.Tests[0].Stdin != "1 2\n" || job.Tests[1].Stdin != "" {
		t.Errorf("tests = %+v", job.Tests)
	}
	want := Limits{CPUTimeMillis: 2000, WallTimeMillis: 5000, MemoryMiB: 256, OutputBytes: 65536, Processes: 16, FileSizeBytes: 1048576}
	if job.Limits != want {
		t.Errorf("limits = %+v, want %+v", job.Limits, want)
	}
	if job.CompileLimits != DefaultCompileLimits {
		t.Errorf("compile limits = %+v, want the defaults when the job gives none", job.CompileLimits)
	}
}

func TestParseJobRejectsBadDocuments(t *testing.T) {
	run := `"run": {"command": ["./main"]}`
	lim := `"limits": ` + validLimits
	cases := []struct{ name, doc, errPart string }{
		{"empty", "  ", "empty"},
		{"truncated", `{"run": `, "not valid JSON"},
		{"trailing data", `{` + run + `,` + lim + `} {}`, "data after the JSON object"},
		{"unknown field", `{` + run + `,` + lim + `, "extra": 1}`, `unknown field "extra"`},
		{"no run", `{` + lim + `}`, "run is missing"},
		{"empty argv", `{"run": {"command": []},` + lim + `}`, "run.command is missing or empty"},
		{"empty program", `{"run": {"command": [""]},` + lim + `}`, "run.command[0] is empty"},
		{"NUL in argument", `{"run": {"command": ["./main", "a\u0000b"]},` + lim + `}`, "NUL"},
		{"no limits", `{` + run + `}`, "limits is missing"},
		{"zero limit", `{` + run + `,` + strings.Replace(lim, `"processes": 16`, `"processes": 0`, 1) + `}`, "limits.processes is 0"},
		{"limit in wrong units", `{` + run + `,` + strings.Replace(lim, `"memoryMiB": 256`, `"memoryMiB": 268435456`, 1) + `}`, "limits.memoryMiB is 268435456"},
		{"fractional limit", `{` + run + `,` + strings.Replace(lim, `2000`, `2000.5`, 1) + `}`, "cpuTimeMillis"},
		{"partial compileLimits", `{` + run + `,` + lim + `, "compileLimits": {"cpuTimeMillis": 1}}`, "compileLimits.wallTimeMillis is missing"},
		{"unnamed test", `{` + run + `,` + lim + `, "tests": [{"stdin": ""}]}`, "tests[0].name is missing"},
		{"duplicate test", `{` + run + `,` + lim + `, "tests": [{"name": "a"}, {"name": "a"}]}`, `tests[1].name "a" is also the name of tests[0]`},
		{"escaping file", `{` + run + `,` + lim + `, "files": [{"path": "../x", "content": ""}]}`, "files[0].path"},
		{"answer without checker", `{` + run + `,` + lim + `, "tests": [{"name": "a", "answer": "1"}]}`, "tests[0].answer is only for a checker"},
		{"checker without run", `{` + run + `,` + lim + `, "checker": {` + lim + `}}`, "checker.run is missing"},
		{"checker without limits", `{` + run + `,` + lim + `, "checker": {` + run + `}}`, "checker.limits is missing"},
		{"checker with a bad limit", `{` + run + `,` + lim + `, "checker": {` + run + `,` + strings.Replace(lim, `"processes": 16`, `"processes": 0`, 1) + `}}`, "checker.limits.processes is 0"},
		{"checker escaping file", `{` + run + `,` + lim + `, "checker": {` + run + `,` + lim + `, "files": [{"path": "../x", "content": ""}]}}`, "checker.files[0].path"},
		{"checker env", `{` + run + `,` + lim + `, "checker": {` + run + `,` + lim + `, "env": [{"name": "HOME", "value": "x"}]}}`, "checker.env[0].name"},
		{"interactor without run", `{` + run + `,` + lim + `, "interactor": {` + lim + `}}`, "interactor.run is missing"},
		{"interactor with a bad limit", `{` + run + `,` + lim + `, "interactor": {` + run + `,` + strings.Replace(lim, `"processes": 16`, `"processes": 0`, 1) + `}}`, "interactor.limits.processes is 0"},
		{"checker and interactor", `{` + run + `,` + lim + `, "checker": {` + run + `,` + lim + `}, "interactor": {` + run + `,` + lim + `}}`, "checker and interactor are both given"},
		{"file without content", `{` + run + `,` + lim + `, "files": [{"path": "x"}]}`, "files[0].content is missing"},
		{"duplicate file", `{` + run + `,` + lim + `, "files": [{"path": "x", "content": ""}, {"path": "./x", "content": ""}]}`, "same file as files[0]"},
		{"escaping output", `{` + run + `,` + lim + `, "compile": {"command": ["cc"], "outputs": ["../main"]}}`, `compile.outputs[0] "../main" has an empty, "." or ".." component`},
		{"absolute output", `{` + run + `,` + lim + `, "compile": {"command": ["cc"], "outputs": ["main", "/bin/sh"]}}`, `compile.outputs[1] "/bin/sh" is not a relative path pattern`},
		{"bad output pattern", `{` + run + `,` + lim + `, "compile": {"command": ["cc"], "outputs": ["[a"]}}`, "is not a valid pattern"},
		{"outputs of the run", `{"run": {"command": ["./main"], "outputs": ["x"]},` + lim + `}`, "run.outputs is not allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseJob([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.errPart) {
				t.Fatalf("error = %v, want one containing %q", err, c.errPart)
			}
		})
	}
}

func TestReadJobGunzipsCompressedDocuments(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(validJob))
	zw.Close()
	job, err := ReadJob(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(job.Tests) != 2 {
		t.Fatalf("tests = %+v", job.Tests)
	}
}

func TestReadJobRefusesOversizeDocumentsAndGzipBombs(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(bytes.Repeat([]byte(" "), MaxJobBytes+1))
	zw.Close()
	if _, err := ReadJob(&buf); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("error = %v, want the size limit", err)
	}
}

func TestParseJobReadsTheEnvironment(t *testing.T) {
	doc := `{"run": {"command": ["./main"]}, "limits": ` + validLimits + `,
	 "env": [{"name": "PATH", "value": "/opt/bin:/usr/bin"}, {"name": "_OPT2", "value": ""}]}`
	job, err := ParseJob([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []EnvVar{{"PATH", "/opt/bin:/usr/bin"}, {"_OPT2", ""}}
	if len(job.Env) != 2 || job.Env[0] != want[0] || job.Env[1] != want[1] {
		t.Fatalf("env = %+v, want %+v", job.Env, want)
	}
}

func TestParseJobRejectsBadEnvironments(t *testing.T) {
	cases := []struct{ name, env, errPart string }{
		{"no name", `[{"value": "x"}]`, "env[0].name is missing"},
		{"no value", `[{"name": "A"}]`, "env[0].value is missing"},
		{"digit first", `[{"name": "1A", "value": ""}]`, `env[0].name "1A" is not a variable name`},
		{"equals sign", `[{"name": "A=B", "value": ""}]`, "not a variable name"},
		{"empty name", `[{"name": "", "value": ""}]`, "not a variable name"},
		{"duplicate", `[{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]`, `env[1].name "A" is also the name of env[0]`},
		{"HOME", `[{"name": "HOME", "value": "/root"}]`, `env[0].name "HOME" is set by the runner`},
		{"TMPDIR", `[{"name": "TMPDIR", "value": "/tmp"}]`, `"TMPDIR" is set by the runner`},
		{"NUL in value", `[{"name": "A", "value": "a\u0000b"}]`, "NUL"},
		{"unknown field", `[{"name": "A", "value": "", "secret": true}]`, `unknown field "secret"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := `{"run": {"command": ["./main"]}, "limits": ` + validLimits + `, "env": ` + c.env + `}`
			_, err := ParseJob([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), c.errPart) {
				t.Fatalf("error = %v, want one containing %q", err, c.errPart)
			}
		})
	}
}

func TestParseJobReadsTheChecker(t *testing.T) {
	doc := strings.Replace(validJob, `{"name": "2"}]`, `{"name": "2", "answer": "3\n"}]`, 1)
	doc = strings.TrimSuffix(doc, "}") + `, "checker": {"files": [{"path": "check.py", "content": "x"}], "compile": {"command": ["cc"]}, "run": {"command": ["./check"]}, "limits": ` + validLimits + `}}`
	job, err := ParseJob([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	c := job.Checker
	if c == nil || len(c.Files) != 1 || c.Files[0].Path != "check.py" || c.CompileCommand[0] != "cc" || c.RunCommand[0] != "./check" || c.CompileLimits != DefaultCompileLimits || c.Limits != job.Limits {
		t.Fatalf("checker = %+v", c)
	}
	if job.Tests[0].Answer != "" || job.Tests[1].Answer != "3\n" {
		t.Errorf("answers = %q, %q", job.Tests[0].Answer, job.Tests[1].Answer)
	}
}

func TestParseJobReadsTheCompileOutputs(t *testing.T) {
	doc := `{"compile": {"command": ["javac", "Main.java"], "outputs": ["*.class", "main.argfile"]}, "run": {"command": ["java", "Main"]}, "limits": ` + validLimits + `}`
	job, err := ParseJob([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(job.CompileOutputs, " ") != "*.class main.argfile" {
		t.Errorf("compile outputs = %v", job.CompileOutputs)
	}
	if job, _ := ParseJob([]byte(validJob)); job.CompileOutputs != nil {
		t.Errorf("compile outputs = %v, want none when the job names none (everything is kept)", job.CompileOutputs)
	}
}
