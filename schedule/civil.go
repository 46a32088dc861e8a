package schedule

import (
	"fmt"
	"time"
)

// civil is a calendar date without a zone. The zero value (year 0, month
// 0) comes before every real date.
type civil struct {
	y int
	m time.Month
	d int
}

func (c civil) isZero() bool { return c == civil{} }

func (c civil) before(o civil) bool {
	if c.y != o.y {
		return c.y < o.y
	}
	if c.m != o.m {
		return c.m < o.m
	}
	return c.d < o.d
}

// next returns the following calendar day.
func (c civil) next() civil {
	if c.d < daysIn(c.y, c.m) {
		return civil{c.y, c.m, c.d + 1}
	}
	if c.m < time.December {
		return civil{c.y, c.m + 1, 1}
	}
	return civil{c.y + 1, time.January, 1}
}

// addDays returns the day n days later (earlier when n < 0).
func (c civil) addDays(n int) civil {
	return civilOf(time.Date(c.y, c.m, c.d+n, 0, 0, 0, 0, time.UTC))
}

// nextMonth returns the first day of the following month.
func (c civil) nextMonth() civil {
	if c.m < time.December {
		return civil{c.y, c.m + 1, 1}
	}
	return civil{c.y + 1, time.January, 1}
}

func (c civil) weekday() time.Weekday {
	return time.Date(c.y, c.m, c.d, 0, 0, 0, 0, time.UTC).Weekday()
}

func (c civil) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", c.y, c.m, c.d)
}

// at returns the wall time h:m on c as a UTC time with those fields.
func (c civil) at(minute int) time.Time {
	return time.Date(c.y, c.m, c.d, minute/60, minute%60, 0, 0, time.UTC)
}

func civilOf(t time.Time) civil { return civil{t.Year(), t.Month(), t.Day()} }

func leap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// daysIn returns the length of month m of year y (proleptic Gregorian, as
// package time counts).
func daysIn(y int, m time.Month) int {
	switch m {
	case time.April, time.June, time.September, time.November:
		return 30
	case time.February:
		if leap(y) {
			return 29
		}
		return 28
	}
	return 31
}
