package protocol

import (
	"fmt"
	"regexp"
	"strings"
)

// EnvVar is one variable the job adds to the program's environment.
type EnvVar struct {
	Name  string
	Value string
}

type wireEnv struct {
	Name  *string `json:"name"`
	Value *string `json:"value"`
}

// envName is what a shell can set and expand, so no Runtime needs a name outside it.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// RunnerEnv names the variables the runner sets itself and a job may not set: both are the work
// directory, whose path belongs to the pod, and it is the only writable home a program has.
var RunnerEnv = []string{"HOME", "TMPDIR"}

func validateEnv(entries []wireEnv) ([]EnvVar, error) {
	var out []EnvVar
	seen := map[string]int{}
	for i, e := range entries {
		if e.Name == nil {
			return nil, fmt.Errorf("env[%d].name is missing: give the variable's name", i)
		}
		name := *e.Name
		if !envName.MatchString(name) {
			return nil, fmt.Errorf("env[%d].name %q is not a variable name: use letters, digits and _, not starting with a digit", i, name)
		}
		for _, r := range RunnerEnv {
			if name == r {
				return nil, fmt.Errorf("env[%d].name %q is set by the runner (to the work directory): remove it from env", i, name)
			}
		}
		if j, dup := seen[name]; dup {
			return nil, fmt.Errorf("env[%d].name %q is also the name of env[%d]: give each variable once", i, name, j)
		}
		seen[name] = i
		if e.Value == nil {
			return nil, fmt.Errorf("env[%d].value is missing (use \"\" for an empty value)", i)
		}
		if strings.IndexByte(*e.Value, 0) >= 0 {
			return nil, fmt.Errorf("env[%d].value contains a NUL byte, which no environment variable can hold", i)
		}
		out = append(out, EnvVar{Name: name, Value: *e.Value})
	}
	return out, nil
}
