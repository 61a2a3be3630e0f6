package check

import (
	"fmt"
	"strings"
)

// repairCommand is the licmon repair command that fixes a REST failure of
// the License Monitor's connections: the stored credentials or the switch
// away from NTLM for a 401, the virtual-proxy prefix or host for a 404.
func repairCommand(site, status string) string {
	s := ""
	if site != "" {
		s = " --site " + site
	}
	if status == "404" {
		return fmt.Sprintf("Fix: licmon repair connections%s --prefix PREFIX --dry-run (PREFIX as the QMC shows it under Virtual proxies; --host HOST if the host changed), then again with --yes --then-reload.", s)
	}
	return fmt.Sprintf("Fix: licmon repair connections%s --user DIR\\serviceaccount --password-file FILE --dry-run, then again with --yes --then-reload; when the proxy uses Kerberos: licmon repair connections%s --switch-to certificate --host FQDN.", s, s)
}

// connectionEvidence describes a connection's URL as parsed.
func connectionEvidence(have map[string]Connection, name string) []string {
	c, ok := have[strings.ToLower(name)]
	if !ok {
		return nil
	}
	return []string{fmt.Sprintf("url %s (host %s, port %s, prefix %q), auth %s", c.URL, c.Host, c.Port, c.Prefix, c.Auth)}
}
