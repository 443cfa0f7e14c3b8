package server

import (
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/oidclogin"
	"github.com/civicgrid/civicgrid/sms"
)

// handleOIDCLogin: GET /auth/oidc/login sends a staff member to the
// configured OpenID Connect provider. The flow's secrets wait in a short-lived
// HttpOnly cookie for the callback.
func (s *Server) handleOIDCLogin(w http.ResponseWriter, r *http.Request) {
	if s.cfg.OIDC == nil {
		writeError(w, r, civicgrid.Errorf(civicgrid.ENOTFOUND, "login through an OpenID Connect provider is not configured"))
		return
	}
	f, err := oidclogin.NewFlow()
	if err != nil {
		writeError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: f.State + "." + f.Nonce + "." + f.Verifier, Path: "/auth/oidc/",
		MaxAge: 600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.Auth.SecureCookie || r.TLS != nil})
	http.Redirect(w, r, s.cfg.OIDC.AuthCodeURL(f), http.StatusFound)
}

// handleOIDCCallback: GET /auth/oidc/callback finishes the login. The
// external account must be linked to a civicgrid user, or carry a verified
// phone number of a staff account (then it is linked now).
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	if s.cfg.OIDC == nil {
		writeError(w, r, civicgrid.Errorf(civicgrid.ENOTFOUND, "login through an OpenID Connect provider is not configured"))
		return
	}
	fail := func(detail string, err error) {
		s.audit(r, civicgrid.SecurityEvent{Kind: civicgrid.EventOIDCLogin, Outcome: civicgrid.OutcomeFailed, Actor: "oidc", Detail: detail})
		s.loginError(w, r, true, "/", err)
	}
	q := r.URL.Query()
	if err := oidclogin.CallbackError(q); err != nil {
		fail(err.Error(), civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "the identity provider refused the login: %v", err))
		return
	}
	c, err := r.Cookie(oidcCookie)
	parts := []string{}
	if err == nil {
		parts = strings.Split(c.Value, ".")
	}
	s.clearOIDCCookie(w, r)
	if len(parts) != 3 {
		fail("no login in progress", civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "no login in progress in this browser; start again"))
		return
	}
	id, err := s.cfg.OIDC.Finish(r.Context(), oidclogin.Flow{State: parts[0], Nonce: parts[1], Verifier: parts[2]}, q.Get("state"), q.Get("code"))
	if err != nil {
		fail(err.Error(), civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "login through the identity provider failed: %v", err))
		return
	}
	u, err := s.store.UserByIdentity(r.Context(), id.Issuer, id.Subject)
	if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND && id.PhoneVerified {
		if phone, perr := sms.Normalize(id.Phone); perr == nil {
			if rec, lerr := s.store.LoginRecordByPhone(r.Context(), phone); lerr == nil && rec.User.Kind == civicgrid.KindStaff {
				if err = s.store.LinkIdentity(r.Context(), id.Issuer, id.Subject, rec.User.ID); err == nil {
					u = rec.User
				}
			}
		}
	}
	if err != nil {
		fail("subject "+id.Subject+" not linked", civicgrid.Errorf(civicgrid.EFORBIDDEN, "your account at the identity provider is not linked to a civicgrid staff account; ask an admin"))
		return
	}
	if _, err := s.startSession(w, r, u, "oidc", civicgrid.EventOIDCLogin); err != nil {
		fail(err.Error(), err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) clearOIDCCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/auth/oidc/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.Auth.SecureCookie || r.TLS != nil})
}
