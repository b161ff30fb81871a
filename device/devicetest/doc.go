// Package devicetest provides test doubles for package device, as periph's
// gpiotest and i2ctest do for pins and buses:
//
//   - [Recorder] stands in for a device: it records every command, answers
//     with canned results or injected errors, and can pass commands
//     through to a real device (as periph's i2ctest.Record does for a
//     bus). It is a [device.Commander] and a [command.Handler], so a
//     transport such as package hub takes it as it is: use it to test a
//     command front end without pins.
//   - [Pins] simulates the GPIO pins of a board, by name, for a real
//     [device.Device] without hardware: look pins up with [Pins.ByName]
//     (as gpioreg.ByName would on the board) and read what the device
//     drove with [Pins.Pin].
//
// For example:
//
//	r := &devicetest.Recorder{Results: map[string]any{"light": map[string]any{"on": true}}}
//	// … hand r to the code under test, then:
//	calls := r.Calls()
//
//	pins := devicetest.NewPins("GPIO17")
//	light, err := device.NewSwitch(pins.ByName("GPIO17"), nil)
//	// … build a device.Device, run commands, then:
//	pins.Pin("GPIO17").Read() // gpio.High once the light is on
package devicetest
