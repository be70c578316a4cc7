// Prints the occurrences ical.js finds in an iCalendar file, as {UID: [UTC ISO strings]}.
// Usage: node occurrences.mjs FILE UNTIL (UNTIL: an ISO date; occurrences before it).
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const [file, until] = process.argv.slice(2);
const calendar = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(zone));
}
const end = new Date(until).getTime();
const found = {};
for (const component of calendar.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(component);
  const starts = (found[event.uid] ??= []);
  const iterator = event.iterator();
  for (let next = iterator.next(); next; next = iterator.next()) {
    const moment = next.toJSDate().getTime();
    if (moment >= end) break;
    starts.push(new Date(moment).toISOString());
  }
}
console.log(JSON.stringify(found));
