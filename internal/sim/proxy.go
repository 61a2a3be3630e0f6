package sim

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// VirtualProxy is a virtual proxy in front of the QRS at /{Prefix}/qrs/....
type VirtualProxy struct {
	Prefix string
	// Auth is "jwt" (Authorization: Bearer, HS256 with JWTKey) or "header"
	// (user "DIR\user" in the header HeaderName).
	Auth       string
	HeaderName string
	JWTKey     []byte
	// JWTUserIDClaim and JWTUserDirClaim name the claims (default userId,
	// userDirectory).
	JWTUserIDClaim, JWTUserDirClaim string
}

// ProxyHandler serves /{prefix}/qrs/... for each virtual proxy: it
// authenticates the user (401 on a missing, invalid or expired credential),
// sets the X-Qlik-Session-<prefix> cookie and applies the same xrfkey rule.
func (s *Site) ProxyHandler(vps []VirtualProxy) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/")
		prefix, rest, _ := strings.Cut(p, "/")
		var vp *VirtualProxy
		for i := range vps {
			if strings.EqualFold(vps[i].Prefix, prefix) {
				vp = &vps[i]
			}
		}
		if vp == nil {
			textError(w, http.StatusNotFound, "Not found")
			return
		}
		if !checkXrf(r) {
			textError(w, http.StatusForbidden, XSRFFailure)
			return
		}
		var id Identity
		var err error
		switch vp.Auth {
		case "jwt":
			id, err = s.verifyJWT(vp, r.Header.Get("Authorization"))
		case "header":
			id, err = headerIdentity(r.Header.Get(vp.HeaderName), vp.HeaderName)
		default:
			err = fmt.Errorf("virtual proxy %q has unknown auth %q", vp.Prefix, vp.Auth)
		}
		if err != nil {
			textError(w, http.StatusUnauthorized, "Unauthorized: "+err.Error())
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "X-Qlik-Session-" + vp.Prefix, Value: hexGUID(id.UserDirectory + id.UserID + time.Now().String()),
			Path: "/", HttpOnly: true, Secure: true})
		s.serveQRS(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)), "/"+rest)
	})
}

func headerIdentity(v, name string) (Identity, error) {
	d, u, ok := strings.Cut(v, `\`)
	if !ok || d == "" || u == "" {
		return Identity{}, fmt.Errorf("header %s must hold DIRECTORY\\user", name)
	}
	return Identity{UserDirectory: d, UserID: u}, nil
}

var b64 = base64.RawURLEncoding

// MintJWT makes an HS256 token with userId and userDirectory claims valid for ttl.
func MintJWT(key []byte, dir, user string, ttl time.Duration) string {
	h := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{"userId": user, "userDirectory": dir, "iat": now.Unix(), "exp": now.Add(ttl).Unix()})
	body := h + "." + b64.EncodeToString(claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return body + "." + b64.EncodeToString(m.Sum(nil))
}

func (s *Site) verifyJWT(vp *VirtualProxy, auth string) (Identity, error) {
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return Identity{}, fmt.Errorf("missing Authorization: Bearer token")
	}
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		return Identity{}, fmt.Errorf("malformed token")
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil {
		return Identity{}, fmt.Errorf("malformed token header")
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hb, &hdr) != nil || hdr.Alg != "HS256" {
		return Identity{}, fmt.Errorf("token algorithm must be HS256")
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return Identity{}, fmt.Errorf("malformed token signature")
	}
	m := hmac.New(sha256.New, vp.JWTKey)
	m.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, m.Sum(nil)) {
		return Identity{}, fmt.Errorf("invalid token signature")
	}
	cb, err := b64.DecodeString(parts[1])
	if err != nil {
		return Identity{}, fmt.Errorf("malformed token claims")
	}
	var claims map[string]any
	if err := json.Unmarshal(cb, &claims); err != nil {
		return Identity{}, fmt.Errorf("malformed token claims")
	}
	if exp, ok := claims["exp"].(float64); ok && time.Unix(int64(exp), 0).Before(time.Now()) {
		return Identity{}, fmt.Errorf("token expired")
	}
	uc, dc := vp.JWTUserIDClaim, vp.JWTUserDirClaim
	if uc == "" {
		uc = "userId"
	}
	if dc == "" {
		dc = "userDirectory"
	}
	u, _ := claims[uc].(string)
	d, _ := claims[dc].(string)
	if u == "" || d == "" {
		return Identity{}, fmt.Errorf("token lacks the %s and %s claims", uc, dc)
	}
	return Identity{UserDirectory: d, UserID: u}, nil
}
