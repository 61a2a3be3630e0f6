package cli

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"runtime"
	"strings"

	"golang.org/x/term"
)

// errNoTerminal is why a change to a site is refused without --yes when no
// one can be asked.
var errNoTerminal = errors.New("refusing to change the site: no terminal to confirm on; review the plan (--dry-run) and pass --yes to apply without asking")

// stdinTerminal returns stdin as a terminal file, or nil when it is not one.
func stdinTerminal(e *env) *os.File {
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return f
}

// confirm asks a yes/no question on the terminal. Without a terminal it
// refuses: a change to a Qlik site needs --yes or a person saying yes.
func confirm(e *env, question string) (bool, error) {
	f := stdinTerminal(e)
	if f == nil {
		return false, errNoTerminal
	}
	fmt.Fprintf(e.stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return false, fmt.Errorf("read the answer: %w", err)
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}

// approved asks question unless yes (--yes) was given. When the change
// must not go ahead (declined, or no terminal to ask on) it says so and
// returns false with the exit code.
func approved(e *env, yes bool, question string) (bool, int) {
	if yes {
		return true, ExitOK
	}
	ok, err := confirm(e, question)
	if err != nil {
		return false, fail(e, ExitError, err)
	}
	if !ok {
		fmt.Fprintln(e.stdout, "Nothing was changed.")
		return false, ExitError
	}
	return true, ExitOK
}

// readSecret reads a password from a file (first line, without the line
// end) or, when ask is set, from the terminal without echo (typed twice).
// The value is never printed or logged.
func readSecret(e *env, file string, ask bool, what string) (string, error) {
	switch {
	case file != "" && ask:
		return "", fmt.Errorf("give the %s either with --password-file or --ask-password, not both", what)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		if runtime.GOOS != "windows" {
			if st, err := os.Stat(file); err == nil && st.Mode().Perm()&0o077 != 0 {
				e.log.Warn("the password file is readable by other users: chmod 600 it", "file", file)
			}
		}
		pw, _, _ := strings.Cut(string(b), "\n")
		pw = strings.TrimSuffix(pw, "\r")
		if pw == "" {
			return "", fmt.Errorf("--password-file %s: the first line is empty; put the %s on it", file, what)
		}
		return pw, nil
	case ask:
		f := stdinTerminal(e)
		if f == nil {
			return "", fmt.Errorf("--ask-password needs a terminal; use --password-file FILE instead")
		}
		fmt.Fprintf(e.stderr, "New %s: ", what)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read the %s: %w", what, err)
		}
		fmt.Fprintf(e.stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read the %s: %w", what, err)
		}
		if string(a) != string(b) || len(a) == 0 {
			return "", fmt.Errorf("the two entries differ or are empty: nothing was changed")
		}
		return string(a), nil
	}
	return "", nil
}

// actor names who runs licmon for the audit trail: the operating-system
// user and the identity used on the QRS (never a secret).
func actor(qrsIdentity string) string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	} else if v := os.Getenv("USER"); v != "" {
		name = v
	} else if v := os.Getenv("USERNAME"); v != "" {
		name = v
	}
	if qrsIdentity == "" {
		return name
	}
	return name + " as " + qrsIdentity
}

// newRunID identifies the actions of one run in the audit trail.
func newRunID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
