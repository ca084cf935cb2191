/* aralrisk map: start-up. Reads the page's JSON settings, finds folium's Leaflet map and
 * assembles basemap, water, overlays, districts, weights and panel.
 *
 * When everything has loaded, <html data-ar-ready="1"> is set (the browser tests wait
 * for it); a part that fails says so in the panel and the rest keeps working.
 */
(function (AR) {
  'use strict';

  const WATER_STYLE = {
    river: {color: '#1f78b4', weight: 2, fill: false},
    sea_present: {color: '#1f78b4', weight: 1, fillColor: '#a6cee3', fillOpacity: 0.8},
    sea_1950s: {color: '#1f78b4', weight: 1.2, dashArray: '6 4', fill: false},
    dried_seabed: {color: '#a6761d', weight: 1, dashArray: '2 4', fillColor: '#e6d5a8', fillOpacity: 0.25},
  };
  function waterLegend() {
    return [
      {color: '#1f78b4', label: AR.t('Syr Darya and other rivers')},
      {color: '#a6cee3', label: AR.t('Aral Sea today')},
      {color: '#e6d5a8', label: AR.t('Dried seabed (Aralkum); dashed blue: shore of the 1950s')},
    ];
  }

  function layerTitle(l) {
    return l.title + (l.units ? ' (' + AR.t(l.units) + ')' : '');
  }

  function warn(panel, message) {
    panel.status.appendChild(AR.el('span', {textContent: message}));
  }

  async function addBasemap(map, source, cfg, panel, overlays) {
    try {
      const spec = await source.basemap();
      // The tile pane (the lowest) for pictures too: overlays must draw above it.
      AR.leafletLayer(spec, {className: 'ar-basemap', pane: 'tilePane'}).addTo(map);
    } catch (err) {
      warn(panel, AR.t('No offline basemap: {reason}.', {reason: err.message}) + ' ');
    }
    if (cfg.osm) {
      const osm = L.tileLayer(cfg.osm.url, {attribution: cfg.osm.attribution, maxZoom: 19, opacity: 0.8});
      overlays.group('basemap');
      const checkbox = AR.el('input', {type: 'checkbox', id: 'ar-osm'});
      checkbox.addEventListener('change', function () {
        if (checkbox.checked) osm.addTo(map); else map.removeLayer(osm);
      });
      overlays.groups.basemap.appendChild(AR.el('div', {className: 'ar-overlay-head'}, [
        checkbox, AR.el('label', {for: 'ar-osm', textContent: AR.t('OpenStreetMap (needs internet)')}),
      ]));
    }
  }

  async function addWater(map, source, overlays) {
    map.createPane('arWater').style.zIndex = 350;
    const collection = await source.hydrography();
    const water = L.geoJSON(collection, {
      pane: 'arWater',
      interactive: false,
      style: function (f) { return WATER_STYLE[f.properties.kind] || WATER_STYLE.river; },
    }).addTo(map);
    const checkbox = AR.el('input', {type: 'checkbox', id: 'ar-water', checked: ''});
    checkbox.addEventListener('change', function () {
      if (checkbox.checked) water.addTo(map); else map.removeLayer(water);
    });
    overlays.group('basemap').appendChild(AR.el('div', {className: 'ar-overlay'}, [
      AR.el('div', {className: 'ar-overlay-head'}, [checkbox, AR.el('label', {for: 'ar-water', textContent: AR.t('Rivers, sea and dried seabed')})]),
      AR.legend(waterLegend()),
    ]));
  }

  function addOverlays(overlays, source, cfg, catalog) {
    const scoreLegend = cfg.risk_classes;
    overlays.add({
      id: 'composite', title: AR.t('All hazards combined (chosen weights)'), group: 'risk', weighted: true,
      legend: scoreLegend, caption: AR.t('Composite hazard, score 0-10 ({classes} classes)', {classes: cfg.classes.name}),
      description: AR.t('How severe the hazards are, cell by cell, with the chosen weights: not who lives there.'),
      load: function (w) { return source.composite(w.profile, w.method); },
    });
    function addSurface(s) {
      const exposed = s.id === 'exposed';
      overlays.add({
        id: s.id, title: s.title, group: exposed ? 'risk' : 'vulnerability', legend: s.legend,
        caption: exposed ? AR.t('People per km² exposed (no colour: nobody exposed)') : AR.t('Score 0-10 ({classes} classes)', {classes: cfg.classes.name}),
        description: s.description,
        load: function () { return source.layer(s.id); },
      });
    }
    // People exposed beside the composite; vulnerability and coping after the hazards.
    cfg.surfaces.filter(function (s) { return s.id === 'exposed'; }).forEach(addSurface);
    catalog.layers.filter(function (l) { return l.spatial; }).forEach(function (l) {
      overlays.add({
        id: l.id, title: layerTitle(l), group: l.group, legend: l.legend,
        caption: AR.t('Level classes ({units})', {units: AR.t(l.units)}), description: l.description,
        load: function () { return source.layer(l.id); },
      });
    });
    cfg.surfaces.filter(function (s) { return s.id !== 'exposed'; }).forEach(addSurface);
  }

  function fillProfiles(panel, profiles, cfg) {
    profiles.profiles.forEach(function (p) {
      panel.profile.appendChild(AR.el('option', {value: p.id, textContent: p.title}));
    });
    panel.profile.value = cfg.defaults.profile;
    function describe() {
      const chosen = profiles.profiles.find(function (p) { return p.id === panel.profile.value; });
      panel.profileNote.textContent = chosen ? chosen.description : '';
    }
    panel.profile.addEventListener('change', describe);
    describe();
    return describe;
  }

  function showWeights(panel, collection, titles) {
    const parts = Object.entries(collection.weights || {})
      .filter(function ([, w]) { return w > 0; })
      .sort(function (a, b) { return b[1] - a[1]; })
      .map(function ([id, w]) { return AR.shortTitle(titles[id] || id) + ' ' + AR.fmt(100 * w, 0) + '%'; });
    panel.weightsNote.textContent = parts.length ? parts.join(' · ') : '';
  }

  async function boot() {
    const cfg = JSON.parse(document.getElementById('ar-config').textContent);
    const map = window[cfg.map];
    const root = document.getElementById('ar-panel');
    const panel = AR.Panel(root, cfg);
    const source = cfg.mode === 'static' ? AR.embeddedSource(cfg.embedded) : AR.apiSource(cfg.routes);
    map.attributionControl.addAttribution(AR.el('span', {textContent: cfg.attribution}).innerHTML);
    new AR.FullscreenControl().addTo(map);
    const districtsCaption = AR.t('District risk: {classes} classes', {classes: cfg.classes.name});
    const mapLegend = new AR.MapLegendControl(districtsCaption, cfg.risk_classes).addTo(map);
    AR.app = {map: map, cfg: cfg, source: source, panel: panel};

    let catalog, profiles;
    try {
      [catalog, profiles] = await Promise.all([source.catalog(), source.profiles()]);
    } catch (err) {
      warn(panel, AR.t('The layer catalog could not be loaded: {reason}', {reason: err.message}));
      return;
    }
    const titles = {};
    catalog.layers.forEach(function (l) { titles[l.id] = l.title; });
    cfg.hazards.forEach(function (h) { titles[h.id] = h.title; });
    const districts = new AR.Districts(map, source, cfg, catalog, panel);
    const overlays = new AR.Overlays(map, source, panel.layers, function (active) {
      // With a raster on, the district fill fades so the raster reads through it, and
      // the map's legend explains the raster switched on last.
      districts.setFill(active.length ? 0.12 : 0.6);
      const top = active[active.length - 1];
      if (top) mapLegend.show(top.title, top.legend); else mapLegend.show(districtsCaption, cfg.risk_classes);
    });
    AR.app.districts = districts;
    AR.app.overlays = overlays;

    const districtToggle = AR.el('input', {type: 'checkbox', id: 'ar-districts', checked: ''});
    districtToggle.addEventListener('change', function () {
      if (districtToggle.checked) { districts.layer.addTo(map); districts.labels.addTo(map); } else {
        map.removeLayer(districts.layer); map.removeLayer(districts.labels);
      }
    });
    overlays.group('risk').appendChild(AR.el('div', {className: 'ar-overlay'}, [
      AR.el('div', {className: 'ar-overlay-head'}, [districtToggle, AR.el('label', {for: 'ar-districts', textContent: AR.t('Districts by risk class')})]),
    ]));
    panel.choropleth.appendChild(AR.legend(cfg.risk_classes, AR.t('Risk class: {classes} classes (score 0-10)', {classes: cfg.classes.name})));
    panel.choropleth.appendChild(AR.legend(cfg.level_legend, AR.t('Hazard level (ThinkHazard!)')));
    addOverlays(overlays, source, cfg, catalog);
    const describeProfile = fillProfiles(panel, profiles, cfg);

    async function reweight() {
      const weights = {profile: panel.profile.value, method: panel.method.value};
      panel.status.replaceChildren();
      try {
        const collection = await districts.load(weights.profile, weights.method);
        showWeights(panel, collection, titles);
        await overlays.setWeights(weights);
      } catch (err) {
        warn(panel, AR.t('Districts could not be loaded: {reason}', {reason: err.message}));
      }
    }
    panel.profile.addEventListener('change', reweight);
    panel.method.addEventListener('change', reweight);

    // A shared address restores weights before the first load, the rest after it.
    const shared = AR.readState();
    if (shared.profile && panel.profile.querySelector('option[value="' + CSS.escape(shared.profile) + '"]')) {
      panel.profile.value = shared.profile;
      describeProfile();
    }
    if (shared.method && panel.method.querySelector('option[value="' + CSS.escape(shared.method) + '"]')) {
      panel.method.value = shared.method;
      panel.method.dispatchEvent(new Event('describe'));
    }
    overlays.weights = {profile: panel.profile.value, method: panel.method.value};
    await Promise.all([
      addBasemap(map, source, cfg, panel, overlays),
      addWater(map, source, overlays).catch(function (err) { warn(panel, AR.t('No water outlines: {reason}.', {reason: err.message}) + ' '); }),
      reweight(),
    ]);
    await AR.restoreState(shared);
    AR.keyboardQuery(map, districts, panel);
    AR.stepAside(map);
    AR.trackState();
    document.documentElement.dataset.arReady = '1';
  }

  function start() {
    boot().catch(function (err) {
      const root = document.getElementById('ar-panel');
      if (root) root.appendChild(AR.el('p', {className: 'ar-warn', textContent: AR.t('The map could not start: {reason}', {reason: err.message})}));
    });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})(window.aralrisk = window.aralrisk || {});
