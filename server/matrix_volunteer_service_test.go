package server_test

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Matrix row and fixture of a volunteer's full ID number: only the staff
// and secretary of the registration's community (the recording
// organisation) read it, with a reason; the read is logged.
func init() {
	mxExpected["POST /api/v1/volunteer/registrations/{id}/id-number"] = "NN NN NN NN NN YN YN NN NN NN NN NN"
	mxFixtures["POST /api/v1/volunteer/registrations/{id}/id-number"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		u := e.resident(away)
		e.volunteerProfile(u, e.chain(away).community, civicgrid.ProfileApproved)
		p, err := e.db.VolunteerProfileOf(context.Background(), u.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		p.IDNumber = mxIDNumber(u.ID)
		p.UpdatedAt = time.Now()
		if _, err := e.db.SaveVolunteerProfile(context.Background(), p, true); err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/registrations/%d/id-number", u.ID), map[string]string{"reason": "核对服务记录证明"}}
	}
}

// mxIDNumber is a valid ID number unique to a user id.
func mxIDNumber(id int64) string {
	birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(id%20000))
	d17 := "110105" + birth.Format("20060102") + fmt.Sprintf("%03d", id%1000)
	return d17 + string(civicgrid.IDCheckChar(d17))
}
