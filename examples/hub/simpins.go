package main

import (
	"strconv"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/pin"
	"periph.io/x/host/v3/rpi"
)

// simHelp says which pin names -sim knows.
const simHelp = "-sim simulates a Raspberry Pi's 40-pin header: GPIO0…GPIO27 by name (GPIO17), number (17) or header position (P1_11)"

// simPins returns the pin look-up of -sim: periph's gpiotest pins for the
// GPIOs of a Raspberry Pi's 40-pin header (the board of the default pin
// map), found by the names gpioreg.ByName takes for them on a Pi once
// host.Init has run: the chip name ("GPIO17"), the number ("17") and the
// header position ("P1_11", from periph's rpi header table). Any other
// name is unknown, as it would be on the Pi, so that a -pins the board
// would refuse fails in the simulator too. (It is stricter in two ways: a
// Pi also knows its GPIOs that no header pin reaches, GPIO28 and up, and
// function names such as PWM0 while a pin serves that function.) The
// pin's name is the name asked for, as with a gpioreg alias.
func simPins() func(name string) gpio.PinIO {
	header := []pin.Pin{
		rpi.P1_1, rpi.P1_2, rpi.P1_3, rpi.P1_4, rpi.P1_5, rpi.P1_6, rpi.P1_7, rpi.P1_8, rpi.P1_9, rpi.P1_10,
		rpi.P1_11, rpi.P1_12, rpi.P1_13, rpi.P1_14, rpi.P1_15, rpi.P1_16, rpi.P1_17, rpi.P1_18, rpi.P1_19, rpi.P1_20,
		rpi.P1_21, rpi.P1_22, rpi.P1_23, rpi.P1_24, rpi.P1_25, rpi.P1_26, rpi.P1_27, rpi.P1_28, rpi.P1_29, rpi.P1_30,
		rpi.P1_31, rpi.P1_32, rpi.P1_33, rpi.P1_34, rpi.P1_35, rpi.P1_36, rpi.P1_37, rpi.P1_38, rpi.P1_39, rpi.P1_40,
	}
	known := map[string]int{} // name → GPIO number
	for i, p := range header {
		g, ok := p.(gpio.PinIO)
		if !ok || g == gpio.INVALID {
			continue // power, ground
		}
		n := g.Number()
		known[g.Name()] = n
		known[strconv.Itoa(n)] = n
		known["P1_"+strconv.Itoa(i+1)] = n
	}
	return func(name string) gpio.PinIO {
		n, ok := known[name]
		if !ok {
			return nil
		}
		return &gpiotest.Pin{N: name, Num: n}
	}
}
