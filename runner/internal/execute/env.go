package execute

import "coderun.dev/runner/internal/protocol"

// DefaultPath is the PATH programs get unless the job sets one: Debian's and the usual
// images' binary directories.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ProgramEnv is the whole environment of the compile step and of every test: a fixed set,
// then the job's variables, which may replace PATH or LANG (protocol refuses HOME and TMPDIR).
// Nothing of the runner's own environment passes: in a pod it holds the pod's own settings,
// such as the KUBERNETES_* service addresses, which are no business of the program.
func ProgramEnv(dir string, jobEnv []protocol.EnvVar) []string {
	names := []string{"PATH", "HOME", "TMPDIR", "LANG"}
	values := map[string]string{"PATH": DefaultPath, "HOME": dir, "TMPDIR": dir, "LANG": "C.UTF-8"}
	for _, v := range jobEnv {
		if _, fixed := values[v.Name]; !fixed {
			names = append(names, v.Name)
		}
		values[v.Name] = v.Value
	}
	env := make([]string, len(names))
	for i, name := range names {
		env[i] = name + "=" + values[name]
	}
	return env
}
