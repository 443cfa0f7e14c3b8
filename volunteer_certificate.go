package civicgrid

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// Certificates of volunteer service records (志愿服务记录证明), as issued:
// each keeps the records it counts, so a record corrected later does not
// change a certificate already issued (a re-issue is a new certificate);
// revoking one, with a reason, makes its public check say so. Issuing and
// revoking are events of the certificate's own hash-chained history, whose
// first event carries a digest of the certificate's content: verify finds
// a changed certificate as it finds a changed event.

// CertificateCodeLength is the length of a new certificate's verification
// code in the readable alphabet (31 characters, about 4.95 bits each): 18
// characters are about 89 bits, beyond guessing. Certificates issued
// before keep their 12-character codes.
const CertificateCodeLength = 18

// CertificateRecord is one service record as a certificate counts it.
type CertificateRecord struct {
	RequestID int64  `json:"request_id"`
	Date      string `json:"date"`    // the day served (sign-in, China Standard Time), YYYY-MM-DD
	Service   string `json:"service"` // catalogue code
	Minutes   int    `json:"minutes"`
}

// ServedRecord is a volunteer's confirmed service record with the
// community of its building, as the store reads it for a certificate.
type ServedRecord struct {
	CertificateRecord
	Community string
	SignIn    time.Time
}

// Actions of a certificate's history.
const (
	CertificateIssued  = "certificate.issued"
	CertificateRevoked = "certificate.revoked"
)

// CertificateEvent is one entry of a certificate's hash-chained history.
type CertificateEvent struct {
	ID            int64             `json:"id"`
	CertificateID int64             `json:"certificate_id"`
	Seq           int               `json:"seq"`
	At            time.Time         `json:"at"`
	ActorID       int64             `json:"-"`
	Actor         string            `json:"actor"` // masked label
	Action        string            `json:"action"`
	Note          string            `json:"note,omitempty"`
	Data          map[string]string `json:"data,omitempty"`
	PrevHash      string            `json:"prev_hash"`
	Hash          string            `json:"hash"`
}

// ChainHash computes the event's hash over PrevHash and every field but ID
// and Hash (LinkHash, the one chain of every module).
func (e CertificateEvent) ChainHash() string {
	return LinkHash(e.PrevHash, "certificate:"+strconv.FormatInt(e.CertificateID, 10), strconv.Itoa(e.Seq), strconv.FormatInt(e.At.UnixMilli(), 10),
		strconv.FormatInt(e.ActorID, 10), e.Actor, e.Action, e.Note, HashedData(e.Data))
}

// CertificateDigest is a SHA-256 over what a certificate certifies: code,
// holder, issuer, period, minutes, services, stars, issue time and records.
// The issue event keeps it, so verify notices a certificate changed after.
// The volunteer number and masked ID number count when present (so the
// digests of certificates issued before them still match).
func CertificateDigest(c VolunteerCertificate) string {
	recs, _ := json.Marshal(c.Records)
	fields := []string{c.Code, strconv.FormatInt(c.UserID, 10), c.Name, c.Community, c.Issuer,
		strconv.FormatInt(c.From.UnixMilli(), 10), strconv.FormatInt(c.To.UnixMilli(), 10), strconv.Itoa(c.Minutes),
		strconv.Itoa(c.Services), strconv.Itoa(c.StarsAtEnd), strconv.FormatInt(c.IssuedAt.UnixMilli(), 10), string(recs)}
	if c.VolunteerNo != "" || c.IDMasked != "" {
		fields = append(fields, "volunteer_no:"+c.VolunteerNo, "id:"+c.IDMasked)
	}
	h := LinkHash(GenesisHash, fields...)
	sum := sha256.Sum256([]byte(h))
	return hex.EncodeToString(sum[:16])
}

// VerifyCertificateChain checks one certificate's history in order, and that
// its issue event's digest matches the certificate as stored.
func VerifyCertificateChain(c VolunteerCertificate, events []CertificateEvent) error {
	if len(events) > 0 {
		i, broken := CheckEvents(events, func(e CertificateEvent) Link { return Link{e.Seq, e.PrevHash, e.Hash, e.ChainHash()} })
		if broken != ChainIntact {
			e := events[i]
			return Errorf(ECONFLICT, "volunteer certificate %d: event %d (%s) %s", c.ID, i+1, e.Action, broken.Describe())
		}
		if events[0].Action == CertificateIssued && events[0].Data["digest"] != CertificateDigest(c) {
			return Errorf(ECONFLICT, "volunteer certificate %d: its content no longer matches the digest of its issue event", c.ID)
		}
	}
	return nil
}

// MaskCertificateName masks a holder's name for the public check: the
// family name and, from three characters on, the last (张*明, 欧阳**华);
// a two-character name keeps only the family name (王*).
func MaskCertificateName(n string) string {
	r := []rune(n)
	switch {
	case len(r) == 0:
		return ""
	case len(r) <= 2:
		return MaskName(n)
	}
	out := []rune{r[0]}
	for range r[1 : len(r)-1] {
		out = append(out, '*')
	}
	return string(append(out, r[len(r)-1]))
}

// MaxRevokeReason bounds a revocation's reason.
const MaxRevokeReason = 500

// CertificateRecordStore is what certificates need of the store beyond
// CertificateStore.
type CertificateRecordStore interface {
	// ServedRecords lists a volunteer's confirmed records signed out in
	// [from, to), by sign-in.
	ServedRecords(ctx context.Context, userID int64, from, to time.Time) ([]ServedRecord, error)
	// SaveCertificate stores a new certificate with its records and its
	// issue event (its digest added to ev.Data), or returns the valid one
	// issued before to the same person for the same community, period and
	// minutes (asking twice is not a re-issue).
	SaveCertificate(ctx context.Context, c VolunteerCertificate, ev CertificateEvent) (VolunteerCertificate, error)
	// RevokeCertificate marks it revoked once, with its event; ECONFLICT
	// when it already is.
	RevokeCertificate(ctx context.Context, id int64, ev CertificateEvent) (VolunteerCertificate, error)
	CertificateEvents(ctx context.Context, id int64) ([]CertificateEvent, error)
	// CertificatesIn lists the certificates issued by communities under
	// scope, newest first.
	CertificatesIn(ctx context.Context, scope string, limit int) ([]VolunteerCertificate, error)
	ForEachCertificateChain(ctx context.Context, fn func(c VolunteerCertificate, events []CertificateEvent) error) error
}
