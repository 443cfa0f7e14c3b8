package server_test

import (
	"fmt"

	"github.com/civicgrid/civicgrid"
)

// Matrix row and fixture of service-record corrections: the recording
// community's staff and secretary correct a signed-out record of their
// area (a record elsewhere is "not found" to those who may not read it).
func init() {
	mxExpected["POST /api/v1/volunteer/requests/{id}/correct"] = "NN NN NN NN NN YN YN NN NN NN NN NN"
	mxFixtures["POST /api/v1/volunteer/requests/{id}/correct"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id := e.helpRequest(away, 0, 0, civicgrid.HelpDone)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/requests/%d/correct", id), map[string]any{"minutes": 30, "reason": "服务对象确认为半小时"}}
	}
}

// Matrix row and fixture of a new sign-in code: the staff who verify
// requests renew the code of a claimed request of their area.
func init() {
	mxExpected["POST /api/v1/volunteer/requests/{id}/new-code"] = "NN NN NN NN NN YN YN YN NN YN NN NN" // the verifying staff
	mxFixtures["POST /api/v1/volunteer/requests/{id}/new-code"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id := e.helpRequest(away, 0, 0, civicgrid.HelpClaimed)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/requests/%d/new-code", id), map[string]any{"reason": "签到码被猜测，已锁定"}}
	}
}

// Matrix rows and fixtures of the links between cases and requests: a case
// one may read becomes a request on someone's behalf (those who ask for
// others at the building), and a request not yet served becomes a case
// (the staff who verify requests).
func init() {
	mxExpected["POST /api/v1/volunteer/cases/{id}/request"] = "NN NN NN YN NN YN YN YN NN YN NN NN"
	mxFixtures["POST /api/v1/volunteer/cases/{id}/request"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		c := e.newCase(away, func(c *civicgrid.Case) { c.BuildingCode = e.chain(away).building })
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/cases/%d/request", c.ID), map[string]any{"service": "repair", "beneficiary": "王阿姨"}}
	}
	mxExpected["POST /api/v1/volunteer/requests/{id}/to-case"] = "NN NN NN NN NN YN YN YN NN YN NN NN"
	mxFixtures["POST /api/v1/volunteer/requests/{id}/to-case"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id := e.helpRequest(away, 0, 0, civicgrid.HelpAccepted)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/requests/%d/to-case", id), map[string]any{"category": mxCategory, "note": "路灯损坏"}}
	}
}
