// Package bottest holds test helpers for tend's packages; import it only
// from _test.go files.
//
// RunPlatformTests is the conformance suite every adapter passes, driven
// through a Harness the adapter's tests implement. Platform is a recording
// fake bot.Platform for feature tests; FinderPlatform and InspectorPlatform
// wrap it to add bot.Finder and bot.ChannelInspector (with the privacy and
// members set on the Platform). Clock is a fake bot.Clock whose timers fire
// when the test advances it.
package bottest
