package volunteering_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/volunteering"
)

// serve runs one request through to a confirmed service of minutes.
func (e *env) serve(poster, staff, vol civicgrid.Actor, service string, minutes int) int64 {
	e.t.Helper()
	ctx := context.Background()
	r := must(e.svc.Ask(ctx, poster, civicgrid.HelpInput{Service: service, BuildingCode: building}))
	must(e.svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	must(e.svc.Claim(ctx, vol, r.ID))
	must(e.svc.SignIn(ctx, vol, r.ID, here))
	e.now = e.now.Add(time.Duration(minutes) * time.Minute)
	must(e.svc.SignOut(ctx, vol, r.ID, here))
	must(e.svc.Confirm(ctx, poster, r.ID, 5, ""))
	e.now = e.now.Add(time.Hour)
	return r.ID
}

// A certificate lists each confirmed record with its date, service and
// hours, is issued by the recording community, carries an unguessable
// code, and stays as issued: a re-issue after more service is a new
// certificate, the old one unchanged; revoking needs staff of the issuing
// community and a reason, and the public check then says revoked. Issuing
// and revoking are chained events that verify accepts, and a certificate
// changed in the database no longer matches its issue event.
func TestCertificates(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc = e.with(volunteering.Config{ClaimLimit: 2, People: e.db})
	resident := e.person(civicgrid.RoleResident, building)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	awayStaff := e.person(civicgrid.RoleCommunityStaff, "420103001001")
	vol := e.person(civicgrid.RoleVolunteer, community)
	vol.Name = "张小明"
	month := e.now.Format("2006-01")

	_, err := e.svc.Certify(ctx, vol, month, month)
	wantErr(t, err, civicgrid.EINVALID, "no confirmed service")
	first := e.serve(resident, staff, vol, "shopping", 60)
	e.serve(resident, staff, vol, "clinic", 90)

	cs := must(e.svc.Certify(ctx, vol, month, month))
	if len(cs) != 1 {
		t.Fatalf("certificates: %+v", cs)
	}
	c := cs[0]
	if c.Community != community || c.Minutes != 150 || c.Services != 2 || len(c.Records) != 2 || c.Name != "张小明" {
		t.Fatalf("certificate: %+v", c)
	}
	if r := c.Records[0]; r.RequestID != first || r.Service != "shopping" || r.Minutes != 60 || r.Date != "2026-12-04" {
		t.Fatalf("first record: %+v", r)
	}
	if len(c.Code) != civicgrid.CertificateCodeLength || civicgrid.CertificateCodeLength*495/100 < 80 {
		t.Fatalf("code %q is not ≥ 80 bits", c.Code)
	}
	if again := must(e.svc.Certify(ctx, vol, month, month)); again[0].ID != c.ID {
		t.Fatalf("asking twice with the hours unchanged issued another: %d, %d", again[0].ID, c.ID)
	}

	// The public check: masked name, no code, no records.
	pub := must(e.svc.VerifyCertificate(ctx, " "+c.Code[:6]+" "+c.Code[6:]))
	if pub.Name != "张*明" || pub.Code != "" || pub.Records != nil || pub.IssuedBy != "" || pub.Minutes != 150 || pub.RevokedAt != nil {
		t.Fatalf("public check: %+v", pub)
	}
	_, err = e.svc.VerifyCertificate(ctx, "ABCDEFGHJKMNPQRSTU")
	wantErr(t, err, civicgrid.ENOTFOUND, "no certificate")

	// More service, then a re-issue: a new certificate, the old unchanged.
	e.serve(resident, staff, vol, "repair", 30)
	re := must(e.svc.Certify(ctx, vol, month, month))[0]
	if re.ID == c.ID || re.Minutes != 180 || len(re.Records) != 3 {
		t.Fatalf("re-issue: %+v", re)
	}
	if old := must(e.svc.Certificate(ctx, vol, c.ID)); old.Minutes != 150 || len(old.Records) != 2 {
		t.Fatalf("the issued certificate changed: %+v", old)
	}

	// Staff of the recording community read and revoke; others do not.
	if _, err := e.svc.Certificate(ctx, awayStaff, c.ID); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("another community's staff read it: %v", err)
	}
	_, err = e.svc.RevokeCertificate(ctx, vol, c.ID, "不要了")
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.certify_for")
	_, err = e.svc.RevokeCertificate(ctx, staff, c.ID, "  ")
	wantErr(t, err, civicgrid.EINVALID, "needs a reason")
	if got := must(e.svc.Certificate(ctx, vol, c.ID)); got.RevokedAt != nil {
		t.Fatalf("a refused revocation wrote: %+v", got)
	}
	rev := must(e.svc.RevokeCertificate(ctx, staff, c.ID, "已重新开具"))
	if rev.RevokedAt == nil || rev.RevokeReason != "已重新开具" || rev.Minutes != 150 {
		t.Fatalf("revoked: %+v", rev)
	}
	_, err = e.svc.RevokeCertificate(ctx, staff, c.ID, "again")
	wantErr(t, err, civicgrid.ECONFLICT, "already revoked")
	pub = must(e.svc.VerifyCertificate(ctx, c.Code))
	if pub.RevokedAt == nil || pub.RevokeReason != "" {
		t.Fatalf("public check of a revoked certificate: %+v", pub)
	}
	// After revoking, asking again for the same hours issues a new one.
	if again := must(e.svc.Certify(ctx, vol, month, month))[0]; again.ID == c.ID || again.ID != re.ID {
		t.Fatalf("after revoking: %+v (revoked %d, re-issued %d)", again, c.ID, re.ID)
	}

	// Staff issue for the volunteer: only their community's records (the
	// valid certificate of the same hours is the one given back).
	byStaff := must(e.svc.CertifyFor(ctx, staff, vol.UserID, month, month))
	if len(byStaff) != 1 || byStaff[0].ID != re.ID {
		t.Fatalf("staff's certificate: %+v", byStaff)
	}
	must(e.svc.RevokeCertificate(ctx, staff, re.ID, "由社区重新开具"))
	byStaff = must(e.svc.CertifyFor(ctx, staff, vol.UserID, month, month))
	if byStaff[0].ID == re.ID || byStaff[0].IssuedByID != staff.UserID || byStaff[0].Minutes != 180 || byStaff[0].Name == "" {
		t.Fatalf("staff's new certificate: %+v", byStaff)
	}
	_, err = e.svc.CertifyFor(ctx, awayStaff, vol.UserID, month, month)
	wantErr(t, err, civicgrid.EFORBIDDEN, "whoever records, certifies")
	_, err = e.svc.CertifyFor(ctx, vol, vol.UserID, month, month)
	wantErr(t, err, civicgrid.EFORBIDDEN, "staff of the community")
	if issued := must(e.svc.IssuedCertificates(ctx, staff)); len(issued) < 2 {
		t.Fatalf("issued list: %d", len(issued))
	}

	hist := must(e.svc.CertificateHistory(ctx, vol, c.ID))
	if len(hist) != 2 || hist[0].Action != civicgrid.CertificateIssued || hist[1].Action != civicgrid.CertificateRevoked || hist[1].Note != "已重新开具" {
		t.Fatalf("history: %+v", hist)
	}
	chains := func() (n, broken int) {
		if err := e.db.ForEachCertificateChain(ctx, func(c civicgrid.VolunteerCertificate, evs []civicgrid.CertificateEvent) error {
			n++
			if civicgrid.VerifyCertificateChain(c, evs) != nil {
				broken++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return n, broken
	}
	if n, broken := chains(); n < 3 || broken != 0 {
		t.Fatalf("chains: %d, %d broken", n, broken)
	}
	if _, err := e.db.SQL().ExecContext(ctx, `UPDATE volunteer_certificates SET minutes = 6000 WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, broken := chains(); broken != 1 {
		t.Fatalf("a changed certificate passes verify: %d broken", broken)
	}
}

func TestMaskCertificateName(t *testing.T) {
	for in, want := range map[string]string{"张小明": "张*明", "王五": "王*", "欧阳小明华": "欧***华", "李": "李*", "": ""} {
		if got := civicgrid.MaskCertificateName(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}
