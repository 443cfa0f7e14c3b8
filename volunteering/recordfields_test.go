package volunteering_test

import (
	"context"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/volunteering"
)

// The service record's fields of MCA order No. 67: a registration takes an
// ID number checked by its check digit (a bad one, or one registered by
// someone else, is refused and nothing is written) and shows it masked;
// approval gives a volunteer number (the community's code and the next
// serial, kept when the registration changes); a record names the
// recording organisation, the volunteer number and — for the volunteer and
// staff, not the requester — the masked ID number; the full number is the
// recording community's staff's only; a certificate carries number and
// masked ID as issued, the public check neither.
func TestServiceRecordFields(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc = e.with(volunteering.Config{ClaimLimit: 2, People: e.db})
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	street := e.person(civicgrid.RoleStreetDispatcher, community[:9])
	awayStaff := e.person(civicgrid.RoleCommunityStaff, away[:12])
	resident := e.person(civicgrid.RoleResident, building)
	register := func(role string, id string) civicgrid.Actor {
		e.n++
		a := testdb.Person(t, e.db, e.n, role, community)
		must(e.svc.Register(ctx, a, civicgrid.ProfileInput{Community: community, IDNumber: id}))
		return a
	}
	const idA, idB = "11010519491231002X", "420102199003078418"
	if c := civicgrid.IDCheckChar(idB[:17]); c != idB[17] {
		t.Fatalf("test ID number: check %c", c)
	}
	volA := register(civicgrid.RoleVolunteer, idA)
	volB := register(civicgrid.RoleVolunteer, "")

	// Bad ID numbers: refused, nothing written.
	_, err := e.svc.Register(ctx, volB, civicgrid.ProfileInput{Community: community, IDNumber: "11010519491231003X", Skills: []string{"driver"}})
	wantErr(t, err, civicgrid.EINVALID, "not valid")
	_, err = e.svc.Register(ctx, volB, civicgrid.ProfileInput{Community: community, IDNumber: "11010519491231002x", Skills: []string{"driver"}})
	wantErr(t, err, civicgrid.ECONFLICT, "registered by another volunteer")
	if p := must(e.svc.Profile(ctx, volB)); len(p.Skills) != 0 || p.IDMasked != "" {
		t.Fatalf("a refused registration wrote: %+v", p)
	}
	pB := must(e.svc.Register(ctx, volB, civicgrid.ProfileInput{Community: community, IDNumber: idB}))
	if pB.IDMasked != "4201**********8418" || pB.VolunteerNo != "" {
		t.Fatalf("registered: %+v", pB)
	}

	// Approval numbers them in order; a change keeps the number and the ID.
	pA := must(e.svc.Decide(ctx, staff, volA.UserID, "approve", ""))
	pB = must(e.svc.Decide(ctx, staff, volB.UserID, "approve", ""))
	if pA.VolunteerNo != community+"-000001" || pB.VolunteerNo != community+"-000002" {
		t.Fatalf("numbers %q %q", pA.VolunteerNo, pB.VolunteerNo)
	}
	pA = must(e.svc.Register(ctx, volA, civicgrid.ProfileInput{Community: community, Skills: []string{"driver"}}))
	if pA.VolunteerNo != community+"-000001" || pA.IDMasked != "1101**********002X" || pA.Status != civicgrid.ProfileApproved {
		t.Fatalf("changed registration: %+v", pA)
	}

	// The full number: the community's staff only.
	if p := must(e.svc.IDNumber(ctx, staff, volA.UserID)); p.IDNumber != idA {
		t.Fatalf("staff read %q", p.IDNumber)
	}
	_, err = e.svc.IDNumber(ctx, street, volA.UserID)
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.read_id")
	_, err = e.svc.IDNumber(ctx, awayStaff, volA.UserID)
	wantErr(t, err, civicgrid.ENOTFOUND, "no volunteer registration")
	_, err = e.svc.IDNumber(ctx, volA, volA.UserID)
	wantErr(t, err, civicgrid.ENOTFOUND, "no volunteer registration")

	// The record.
	id := e.serve(resident, staff, volA, "shopping", 60)
	for _, c := range []struct {
		who    civicgrid.Actor
		masked string
	}{{volA, "1101**********002X"}, {staff, "1101**********002X"}, {resident, ""}} {
		v := must(e.svc.Request(ctx, c.who, id))
		if v.Organisation == nil || v.Organisation.Code != community || v.VolunteerNo != community+"-000001" || v.VolunteerIDMasked != c.masked {
			t.Fatalf("record as %s: %+v %q %q", c.who.Name, v.Organisation, v.VolunteerNo, v.VolunteerIDMasked)
		}
	}

	// The certificate, and its public check.
	month := e.now.Format("2006-01")
	cert := must(e.svc.Certify(ctx, volA, month, month))[0]
	if cert.VolunteerNo != community+"-000001" || cert.IDMasked != "1101**********002X" {
		t.Fatalf("certificate: %+v", cert)
	}
	pub := must(e.svc.VerifyCertificate(ctx, cert.Code))
	if pub.VolunteerNo != "" || pub.IDMasked != "" {
		t.Fatalf("public check shows %q %q", pub.VolunteerNo, pub.IDMasked)
	}
	n := 0
	if err := e.db.ForEachCertificateChain(ctx, func(c civicgrid.VolunteerCertificate, evs []civicgrid.CertificateEvent) error {
		n++
		return civicgrid.VerifyCertificateChain(c, evs)
	}); err != nil || n != 1 {
		t.Fatalf("chains %d: %v", n, err)
	}
	if _, err := e.db.SQL().ExecContext(ctx, `UPDATE volunteer_certificates SET volunteer_no = 'X'`); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ForEachCertificateChain(ctx, func(c civicgrid.VolunteerCertificate, evs []civicgrid.CertificateEvent) error {
		return civicgrid.VerifyCertificateChain(c, evs)
	}); err == nil {
		t.Fatal("a certificate whose volunteer number changed still verifies")
	}
}
