/*!
FullCalendar (Vanilla JS) v7.1.0
Docs & License: https://fullcalendar.io
(c) 2026 Adam Shaw
*/
(function ({ F: globalLocales }) {
    

    var __pl$l56 = {
        code: 'pl',
        week: {
            dow: 1, // Monday is the first day of the week.
            doy: 4, // The week that contains Jan 4th is the first week of the year.
        },
        prevText: 'Poprzedni',
        nextText: 'Następny',
        todayText: 'Dziś',
        yearText: 'Rok',
        monthText: 'Miesiąc',
        weekTextLong: 'Tydzień',
        weekTextShort: 'Tydz',
        dayText: 'Dzień',
        listText: 'Plan dnia',
        allDayText: 'Cały\ndzień',
        moreLinkText: 'więcej',
        noEventsText: 'Brak wydarzeń do wyświetlenia',
    };

    globalLocales.push(__pl$l56);

})(FullCalendar.Shared);
