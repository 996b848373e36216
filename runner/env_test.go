package main_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// runWithRunnerEnv runs a job with the runner's own environment set to env, as in a pod.
func runWithRunnerEnv(t *testing.T, workdir string, job map[string]any, env []string) result {
	t.Helper()
	data, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(runnerBin, "run", "--workdir", workdir)
	asSandboxUser(cmd)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return decodeResult(t, out)
}

func TestProgramsGetExactlyTheDocumentedEnvironment(t *testing.T) {
	// What a pod's runner has: service addresses and whatever the image and the pod set.
	podEnv := append(os.Environ(),
		"KUBERNETES_SERVICE_HOST=10.96.0.1", "KUBERNETES_SERVICE_PORT=443", "KUBERNETES_PORT=tcp://10.96.0.1:443",
		"SECRET_TOKEN=do-not-leak", "GODEBUG=madvdontneed=1", "PATH=/opt/runner/bin:"+defaultPath, "LANG=de_DE.UTF-8")
	cases := []struct {
		name    string
		jobEnv  []any
		command []string
		want    string
	}{
		{"fixed set", nil, []string{"env"}, "PATH=" + defaultPath + "\nHOME=W\nTMPDIR=W\nLANG=C.UTF-8\n"},
		{"the job's variables, replacing PATH and LANG", []any{
			map[string]any{"name": "LANG", "value": "C"},
			map[string]any{"name": "JAVA_TOOL_OPTIONS", "value": "-Xss64m"},
			map[string]any{"name": "PATH", "value": "/usr/bin:/bin"},
		}, []string{"env"}, "PATH=/usr/bin:/bin\nHOME=W\nTMPDIR=W\nLANG=C\nJAVA_TOOL_OPTIONS=-Xss64m\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			workdir := newWorkdir(t)
			job := singleTest(c.command, "", defaultLimits())
			job["compile"] = map[string]any{"command": c.command}
			if c.jobEnv != nil {
				job["env"] = c.jobEnv
			}
			res := runWithRunnerEnv(t, workdir, job, podEnv)
			want := string(bytes.ReplaceAll([]byte(c.want), []byte("=W\n"), []byte("="+workdir+"\n")))
			if res.Compile == nil || res.Compile.Output != want {
				t.Errorf("the compile step's environment:\n%s\nwant exactly:\n%s", str(outputOf(res.Compile)), want)
			}
			if len(res.Tests) != 1 {
				t.Fatalf("error %s, %d test results", str(res.Error), len(res.Tests))
			}
			if res.Tests[0].Stdout != want {
				t.Fatalf("the program's environment:\n%s\nwant exactly:\n%s", res.Tests[0].Stdout, want)
			}
		})
	}
}

func outputOf(c *compileResult) *string {
	if c == nil {
		return nil
	}
	return &c.Output
}

func TestBadEnvironmentIsAJobError(t *testing.T) {
	job := singleTest([]string{"env"}, "", defaultLimits())
	job["env"] = []any{map[string]any{"name": "HOME", "value": "/root"}}
	data, _ := json.Marshal(job)
	assertJobError(t, runRaw(t, newWorkdir(t), data), `env[0].name "HOME" is set by the runner`)
}
