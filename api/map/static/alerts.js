/* aralrisk map: the next days — the alerts `aralrisk alerts` published (GET /alerts).
 *
 * A panel with a day slider: for the chosen forecast day the districts are coloured by
 * their highest alert level over the hazards (yellow, orange, red; none is left clear)
 * and listed with the hazard, the level and the people exposed. The panel names each
 * forecast and when it was issued. Without published alerts nothing is drawn.
 * Sets html[data-ar-alerts] when done ("0" when none are published) and, on the panel,
 * data-day (the chosen day, YYYY-MM-DD); list items carry data-code and data-level.
 *
 * Its sentences come from the page's catalogue (AR.t), in the page's language.
 */
(function (AR) {
  'use strict';

  const COLORS = {yellow: '#ffd600', orange: '#ff8f00', red: '#d50000'};
  const RANK = {none: 0, yellow: 1, orange: 2, red: 3};
  // Sentences go through the page's catalogue (AR.t, api/locale/*/aralrisk.po).
  function levelName(level) {
    return {yellow: AR.t('yellow'), orange: AR.t('orange'), red: AR.t('red')}[level] || level;
  }
  function hazardName(hazard) {
    return {dust: AR.t('Dust storm'), river_flood: AR.t('River flood'), heat: AR.t('Heat wave')}[hazard] || hazard;
  }


  function districtName(p) {
    return AR.districtName ? AR.districtName({code: p.code, name: p.name}) : p.name;
  }

  /** Days, the rows of each day and one outline per district, from the collection. */
  function index(collection) {
    const days = new Set();
    const byDay = {};
    const outlines = {};
    collection.features.forEach(function (f) {
      const p = f.properties;
      days.add(p.day);
      (byDay[p.day] = byDay[p.day] || []).push(p);
      if (!outlines[p.code]) outlines[p.code] = {type: 'Feature', geometry: f.geometry, properties: {code: p.code, name: p.name}};
    });
    return {days: Array.from(days).sort(), byDay: byDay, outlines: Object.values(outlines)};
  }

  AR.AlertsControl = L.Control.extend({
    options: {position: 'bottomleft'},

    initialize: function (collection, options) {
      L.setOptions(this, options);
      this.collection = collection;
      this.data = index(collection);
      this.levels = {};
    },

    onAdd: function (map) {
      const self = this;
      const data = this.data;
      this.overlay = L.geoJSON({type: 'FeatureCollection', features: data.outlines}, {
        interactive: false,
        style: function (feature) { return self.style(feature.properties.code); },
      });
      const forecasts = Object.entries(this.collection.forecasts || {}).map(function ([id, meta]) {
        const first = self.collection.features.find(function (f) { return f.properties.forecast === id; });
        const hazard = first ? hazardName(first.properties.hazard) : meta.title;
        const issued = String(meta.issued).slice(0, 16).replace('T', ' ') + ' UTC';
        return AR.el('li', {'data-forecast': id, textContent: AR.t('{hazard}: forecast of {issued}', {hazard: hazard, issued: issued})});
      });
      this.slider = AR.el('input', {type: 'range', min: '0', max: String(Math.max(0, data.days.length - 1)), step: '1', value: '0', id: 'ar-alerts-day', 'aria-label': AR.t('Forecast day')});
      this.dayText = AR.el('output', {className: 'ar-alerts-daytext', for: 'ar-alerts-day'});
      // The forecast layer: each cell's level for the chosen forecast and day (tiles).
      const layered = Object.entries(this.collection.forecasts || {}).filter(function ([, meta]) { return meta.rasters; });
      this.layerSelect = AR.el('select', {id: 'ar-alerts-layer'}, [AR.el('option', {value: '', textContent: AR.t('none')})].concat(
        layered.map(function ([id]) {
          const first = self.collection.features.find(function (f) { return f.properties.forecast === id; });
          return AR.el('option', {value: id, textContent: first ? hazardName(first.properties.hazard) : id});
        })));
      this.tiles = null;
      this.show = AR.el('input', {type: 'checkbox', id: 'ar-alerts-show'});
      this.show.checked = true;
      this.list = AR.el('ul', {className: 'ar-alerts-list'});
      const container = AR.el('section', {className: 'ar-alerts leaflet-bar', 'aria-label': AR.t('Next days: alerts')}, [
        AR.el('h2', {className: 'ar-alerts-title', textContent: AR.t('Next days: alerts')}),
        AR.el('ul', {className: 'ar-alerts-forecasts'}, forecasts),
        AR.el('label', {className: 'ar-alerts-daylabel', for: 'ar-alerts-day', textContent: AR.t('Forecast day') + ' '}),
        this.slider,
        this.dayText,
        AR.el('label', {className: 'ar-alerts-showlabel'}, [this.show, ' ' + AR.t('Colour districts by alert level')]),
        AR.el('label', {className: 'ar-alerts-layerlabel', for: 'ar-alerts-layer', textContent: AR.t('Forecast layer') + ' '}),
        this.layerSelect,
        this.list,
      ]);
      this.container = container;
      L.DomEvent.disableClickPropagation(container);
      L.DomEvent.disableScrollPropagation(container);
      this.slider.addEventListener('input', function () { self.select(Number(self.slider.value)); });
      this.show.addEventListener('change', function () { self.toggle(map); });
      this.layerSelect.addEventListener('change', function () { self.forecastLayer(map); });
      this.map = map;
      this.select(0);
      this.toggle(map);
      return container;
    },

    onRemove: function (map) {
      if (map.hasLayer(this.overlay)) map.removeLayer(this.overlay);
      if (this.tiles) map.removeLayer(this.tiles);
    },

    /** Show the chosen forecast's cell levels for the chosen day (none if it has no
     *  such day); the published run's version in the URL keeps tiles of older runs out. */
    forecastLayer: function (map) {
      if (this.tiles) { map.removeLayer(this.tiles); this.tiles = null; }
      const id = this.layerSelect.value;
      const day = this.container.dataset.day;
      const meta = (this.collection.forecasts || {})[id];
      this.container.dataset.layer = '';
      if (!id || !meta || !meta.rasters || !meta.rasters[day]) return;
      const url = 'alerts/tiles/' + encodeURIComponent(id) + '/' + day + '/{z}/{x}/{y}.png?v=' + encodeURIComponent(this.collection.alerts || '');
      this.tiles = L.tileLayer(url, {opacity: 0.8, className: 'ar-alert-tiles'}).addTo(map);
      this.container.dataset.layer = id + '/' + day;
    },

    style: function (code) {
      const level = this.levels[code] || 'none';
      return {
        className: 'ar-alert-area',
        color: COLORS[level] || '#607d8b',
        weight: level === 'none' ? 0 : 3,
        fillColor: COLORS[level] || '#ffffff',
        fillOpacity: level === 'none' ? 0 : 0.45,
      };
    },

    toggle: function (map) {
      if (this.show.checked) this.overlay.addTo(map); else map.removeLayer(this.overlay);
    },

    /** Show day ``i``: colour the districts and list their alerts, highest first. */
    select: function (i) {
      const self = this;
      const day = this.data.days[i];
      const rows = (this.data.byDay[day] || []).filter(function (p) { return p.level_rank > 0; });
      this.levels = {};
      rows.forEach(function (p) {
        if ((RANK[self.levels[p.code]] || 0) < p.level_rank) self.levels[p.code] = p.level;
      });
      const lead = rows.length ? rows[0].lead_days : (this.data.byDay[day] || [{}])[0].lead_days;
      this.dayText.textContent = day + (lead !== undefined ? ' · ' + AR.t('day {lead} of the forecast', {lead: lead}) : '');
      this.container.dataset.day = day;
      if (this.map) this.forecastLayer(this.map);
      this.overlay.setStyle(function (feature) { return self.style(feature.properties.code); });
      rows.sort(function (a, b) { return b.level_rank - a.level_rank || b.people_exposed - a.people_exposed; });
      this.list.replaceChildren.apply(this.list, rows.length ? rows.map(function (p) {
        return AR.el('li', {className: 'ar-alert ar-alert-' + p.level, 'data-code': p.code, 'data-level': p.level, 'data-hazard': p.hazard}, [
          AR.el('span', {className: 'ar-alert-chip ar-alert-chip-' + p.level, textContent: levelName(p.level)}),
          ' ' + districtName(p) + ' — ' + hazardName(p.hazard) + ' · ' + AR.t('{people} people exposed', {people: AR.people ? AR.people(p.people_exposed) : p.people_exposed}),
        ]);
      }) : [AR.el('li', {className: 'ar-alert-none', textContent: AR.t('No alert on {day}.', {day: day})})]);
    },
  });

  async function load(cfg) {
    if (cfg.mode === 'static') return null;  // the offline copy carries no alerts
    // /version says whether alerts are published: asking /alerts blindly would leave a
    // 404 in the console of every map without them.
    const version = await fetch('version', {headers: {Accept: 'application/json'}});
    if (!version.ok || !(await version.json()).alerts) return null;
    const response = await fetch('alerts', {headers: {Accept: 'application/geo+json'}});
    if (!response.ok) throw new Error(response.status + ' ' + response.statusText);
    return response.json();
  }

  async function start() {
    const app = AR.app;
    const collection = await load(app.cfg);
    if (collection && collection.features.length) {
      app.alerts = new AR.AlertsControl(collection).addTo(app.map);
    }
    document.documentElement.dataset.arAlerts = app.alerts ? '1' : '0';
  }

  function whenReady(callback) {
    const root = document.documentElement;
    if (root.dataset.arReady === '1') { callback(); return; }
    const watch = new MutationObserver(function () {
      if (root.dataset.arReady === '1') { watch.disconnect(); callback(); }
    });
    watch.observe(root, {attributes: true, attributeFilter: ['data-ar-ready']});
  }

  whenReady(function () { start().catch(function () { document.documentElement.dataset.arAlerts = '0'; }); });
})(window.aralrisk = window.aralrisk || {});
