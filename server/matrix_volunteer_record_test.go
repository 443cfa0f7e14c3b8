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
