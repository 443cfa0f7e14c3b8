package server_test

// Matrix row and fixture of the search. Anyone logged in may search; what
// each finds is what their role reads (TestSearchScoping checks that), so
// the row is the same for every role.
func init() {
	mxExpected["GET /api/v1/search"] = "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-"
	mxFixtures["GET /api/v1/search"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/search?q=%E6%BC%8F%E6%B0%B4"}
	}
}
