package plugindir

// Health is an interface's health as the control operation health reports
// it.
//
// TODO(lead): switch to host.Health once it exists; the names match
// DESIGN.md section 4 (serving / draining / failed).
type Health string

// Health values.
const (
	HealthServing  Health = "serving"
	HealthDraining Health = "draining"
	HealthFailed   Health = "failed"
)
