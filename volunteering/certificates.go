package volunteering

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
)

// Certificates of service records (志愿服务记录证明): "whoever records
// certifies" — each certificate is issued by the community whose building
// the service was recorded at, so a period with service in two communities
// makes two. It keeps the records it counts as they were when issued.

// MaxCertificateMonths bounds a certificate's period.
const MaxCertificateMonths = 60

// Certify issues the actor's certificates for the months from … to
// (YYYY-MM, both included): one per community that recorded confirmed
// service in the period. Asking again while the hours are unchanged
// returns the same certificates; after a revocation or a change of the
// hours it issues new ones.
func (s *Service) Certify(ctx context.Context, actor civicgrid.Actor, fromMonth, toMonth string) ([]civicgrid.VolunteerCertificate, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionCertifyHours, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return nil, err
	}
	return s.certify(ctx, actor, actor.UserID, actor.Name, fromMonth, toMonth, nil)
}

// CertifyFor issues a volunteer's certificates as staff of the recording
// community: only the communities the actor may certify for are covered
// (service recorded elsewhere is that community's to certify).
func (s *Service) CertifyFor(ctx context.Context, actor civicgrid.Actor, userID int64, fromMonth, toMonth string) ([]civicgrid.VolunteerCertificate, error) {
	if err := mayCertifyAnywhere(actor); err != nil {
		return nil, err
	}
	if s.cfg.People == nil {
		return nil, civicgrid.Errorf(civicgrid.EINTERNAL, "no account directory to name the volunteer")
	}
	u, err := s.cfg.People.UserByID(ctx, userID)
	if err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return nil, civicgrid.Errorf(civicgrid.EINVALID, "no person %d", userID)
		}
		return nil, err
	}
	mayCertify := func(community string) bool {
		return civicgrid.Authorize(actor, civicgrid.ActionCertifyFor, civicgrid.In(community)) == nil
	}
	return s.certify(ctx, actor, userID, u.Name, fromMonth, toMonth, mayCertify)
}

func (s *Service) certify(ctx context.Context, actor civicgrid.Actor, userID int64, name, fromMonth, toMonth string, mayCertify func(string) bool) ([]civicgrid.VolunteerCertificate, error) {
	from, err1 := time.ParseInLocation("2006-01", fromMonth, cst)
	to, err2 := time.ParseInLocation("2006-01", toMonth, cst)
	now := s.now().In(cst)
	switch {
	case err1 != nil || err2 != nil:
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "the period is two months, YYYY-MM")
	case to.Before(from):
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "the period ends before it starts")
	case to.After(now):
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "the period lies in the future")
	case to.Year()*12+int(to.Month())-(from.Year()*12+int(from.Month())) >= MaxCertificateMonths:
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "a certificate covers at most %d months", MaxCertificateMonths)
	}
	end := to.AddDate(0, 1, 0)
	records, err := s.store.ServedRecords(ctx, userID, from, end)
	if err != nil {
		return nil, err
	}
	byCommunity := map[string][]civicgrid.CertificateRecord{}
	var order []string
	for _, r := range records {
		if mayCertify != nil && !mayCertify(r.Community) {
			continue
		}
		if _, ok := byCommunity[r.Community]; !ok {
			order = append(order, r.Community)
		}
		rec := r.CertificateRecord
		rec.Date = r.SignIn.In(cst).Format("2006-01-02")
		byCommunity[r.Community] = append(byCommunity[r.Community], rec)
	}
	switch {
	case len(order) == 0 && len(records) > 0:
		return nil, civicgrid.Errorf(civicgrid.EFORBIDDEN, "the service in %s … %s was recorded by communities you do not certify for: whoever records, certifies", fromMonth, toMonth)
	case len(order) == 0:
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "no confirmed service in %s … %s", fromMonth, toMonth)
	}
	total, _, err := s.store.VolunteerMinutes(ctx, userID)
	if err != nil {
		return nil, err
	}
	stars, _ := civicgrid.StarLevel(total, s.cfg.StarThresholdsHours)
	var number, idMasked string // the record fields of order No. 67, as registered now
	if p, err := s.store.VolunteerProfileOf(ctx, userID); err == nil {
		number, idMasked = p.VolunteerNo, civicgrid.MaskIDNumber(p.IDNumber)
	} else if civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		return nil, err
	}
	out := make([]civicgrid.VolunteerCertificate, 0, len(order))
	for _, community := range order {
		recs := byCommunity[community]
		minutes := 0
		for _, r := range recs {
			minutes += r.Minutes
		}
		issuer := community
		if a, err := s.areas.AreaByCode(ctx, community); err == nil && a.Name != "" {
			issuer = a.Name
		}
		c, err := s.store.SaveCertificate(ctx, civicgrid.VolunteerCertificate{Code: civicgrid.ReadableCode(civicgrid.CertificateCodeLength),
			UserID: userID, Name: name, Community: community, Issuer: issuer, From: from, To: end, Minutes: minutes, Services: len(recs),
			IssuedAt: s.now(), StarsAtEnd: stars, Records: recs, IssuedByID: actor.UserID, IssuedBy: actor.Label(),
			VolunteerNo: number, IDMasked: idMasked},
			civicgrid.CertificateEvent{At: s.now(), ActorID: actor.UserID, Actor: actor.Label()})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Certificates lists the actor's certificates.
func (s *Service) Certificates(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.VolunteerCertificate, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionCertifyHours, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return nil, err
	}
	return s.store.CertificatesOf(ctx, actor.UserID)
}

// IssuedCertificates lists the certificates the communities of the
// actor's area issued (staff), newest first, at most 200.
func (s *Service) IssuedCertificates(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.VolunteerCertificate, error) {
	if err := mayCertifyAnywhere(actor); err != nil {
		return nil, err
	}
	out := []civicgrid.VolunteerCertificate{}
	for _, scope := range actor.Scopes(civicgrid.ActionCertifyFor) {
		cs, err := s.store.CertificatesIn(ctx, scope, 200)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// mayCertifyAnywhere refuses whoever may certify for no community.
func mayCertifyAnywhere(actor civicgrid.Actor) error {
	switch {
	case actor.Anonymous():
		return civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "log in first")
	case len(actor.Scopes(civicgrid.ActionCertifyFor)) == 0:
		return civicgrid.Errorf(civicgrid.EFORBIDDEN, "only the staff of the community that recorded the service certify it for a volunteer")
	}
	return nil
}

// mayReadCertificate: its holder, or staff of the issuing community.
func mayReadCertificate(actor civicgrid.Actor, c civicgrid.VolunteerCertificate) bool {
	return civicgrid.Authorize(actor, civicgrid.ActionCertifyHours, civicgrid.Object{Owner: c.UserID}) == nil ||
		civicgrid.Authorize(actor, civicgrid.ActionCertifyFor, civicgrid.In(c.Community)) == nil
}

// Certificate returns a certificate to its holder or to staff of the
// issuing community (others: "not found").
func (s *Service) Certificate(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.VolunteerCertificate, error) {
	if actor.UserID == 0 {
		return civicgrid.VolunteerCertificate{}, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "log in first")
	}
	c, err := s.store.CertificateByID(ctx, id)
	if err != nil {
		return c, err
	}
	if !mayReadCertificate(actor, c) {
		return civicgrid.VolunteerCertificate{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no certificate %d", id)
	}
	return c, nil
}

// CertificateHistory returns a certificate's history to whoever may read it.
func (s *Service) CertificateHistory(ctx context.Context, actor civicgrid.Actor, id int64) ([]civicgrid.CertificateEvent, error) {
	if _, err := s.Certificate(ctx, actor, id); err != nil {
		return nil, err
	}
	return s.store.CertificateEvents(ctx, id)
}

// CanRevokeCertificate says whether the actor may revoke c (staff of the
// issuing community, while it is valid).
func CanRevokeCertificate(actor civicgrid.Actor, c civicgrid.VolunteerCertificate) bool {
	return c.RevokedAt == nil && civicgrid.Authorize(actor, civicgrid.ActionCertifyFor, civicgrid.In(c.Community)) == nil
}

// RevokeCertificate revokes a certificate with a reason: staff of the
// issuing community. The public check then says it is revoked; the
// certificate itself stays as issued.
func (s *Service) RevokeCertificate(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (civicgrid.VolunteerCertificate, error) {
	c, err := s.Certificate(ctx, actor, id)
	if err != nil {
		return c, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionCertifyFor, civicgrid.In(c.Community)); err != nil {
		return civicgrid.VolunteerCertificate{}, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return civicgrid.VolunteerCertificate{}, civicgrid.Errorf(civicgrid.EINVALID, "revoking a certificate needs a reason")
	case utf8.RuneCountInString(reason) > civicgrid.MaxRevokeReason:
		return civicgrid.VolunteerCertificate{}, civicgrid.Errorf(civicgrid.EINVALID, "the reason is over %d characters", civicgrid.MaxRevokeReason)
	}
	return s.store.RevokeCertificate(ctx, id, civicgrid.CertificateEvent{At: s.now(), ActorID: actor.UserID, Actor: actor.Label(), Note: reason})
}

// VerifyCertificate checks a verification code: anyone may, and sees the
// certificate with the holder's name masked (张*明), without the code or
// the records, and whether it was revoked.
func (s *Service) VerifyCertificate(ctx context.Context, code string) (civicgrid.VolunteerCertificate, error) {
	code = civicgrid.NormalizeCode(code)
	if code == "" || len(code) > 40 {
		return civicgrid.VolunteerCertificate{}, civicgrid.Errorf(civicgrid.EINVALID, "a verification code is required")
	}
	c, err := s.store.CertificateByCode(ctx, code)
	if err != nil {
		return c, err
	}
	name := c.Name
	c = c.Public()
	c.Name = civicgrid.MaskCertificateName(name)
	return c, nil
}
