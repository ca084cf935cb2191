/* aralrisk map: the address records what is shown, and the map answers the keyboard.
 *
 * The page's address is ``map?lang=kk#profile=..&method=..&layer=..&district=..&view=lat,lon,zoom``
 * (plus ``order`` of the ranking): the language is the query, as the server writes the
 * page in it; the rest is the hash, rewritten (replaceState, no history entry) whenever
 * the view, weights, overlays, ranking order or open district change. Opening such an
 * address restores all of it, so a planner can send what they see.
 *
 * Keyboard: the map is focusable (Leaflet: arrows pan, + and - zoom); Enter queries its
 * centre, as a click would. On a narrow screen the map's controls step aside while a
 * popup is open, and the legend and attribution fold away.
 */
(function (AR) {
  'use strict';

  /** The state recorded in the address's hash: {profile, method, layer, district, view, order}. */
  AR.readState = function () {
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    const state = {};
    ['profile', 'method', 'layer', 'district', 'order'].forEach(function (key) {
      if (params.get(key)) state[key] = params.get(key);
    });
    const view = (params.get('view') || '').split(',').map(Number);
    if (view.length === 3 && view.every(Number.isFinite)) state.view = view;
    return state;
  };

  /** The current state as a hash (its keys in a fixed order, so addresses compare). */
  AR.stateHash = function () {
    const app = AR.app;
    const center = app.map.getCenter();
    const params = new URLSearchParams();
    params.set('profile', app.panel.profile.value);
    params.set('method', app.panel.method.value);
    const layers = app.overlays.active.join(',');
    if (layers) params.set('layer', layers);
    if (app.districts.selected && app.map.hasLayer(app.districts.popup)) params.set('district', app.districts.selected);
    if (app.districts.ranking.order !== 'risk') params.set('order', app.districts.ranking.order);
    params.set('view', [center.lat.toFixed(4), center.lng.toFixed(4), app.map.getZoom()].join(','));
    return '#' + params.toString();
  };

  function record() {
    const query = '?lang=' + encodeURIComponent(AR.app.cfg.lang);
    const url = window.location.pathname + query + AR.stateHash();
    if (url !== window.location.pathname + window.location.search + window.location.hash) {
      window.history.replaceState(null, '', url);
    }
  }

  /** Keep the address up to date as the planner works. */
  AR.trackState = function () {
    const app = AR.app;
    let pending = null;
    function later() {
      // Leaflet fires several events per gesture: record once they settle.
      if (pending) clearTimeout(pending);
      pending = setTimeout(function () { pending = null; record(); }, 150);
    }
    app.map.on('moveend zoomend popupopen popupclose', later);
    app.panel.profile.addEventListener('change', later);
    app.panel.method.addEventListener('change', later);
    app.panel.layers.addEventListener('change', later);
    app.districts.ranking.onOrder = later;
    record();
  };

  /** Restore a shared state once the districts are drawn (weights were set before). */
  AR.restoreState = async function (state) {
    const app = AR.app;
    if (state.order && AR.orders().some(function (o) { return o.id === state.order; })) {
      app.districts.ranking.setOrder(state.order);
    }
    const layers = (state.layer || '').split(',').filter(function (id) { return app.overlays.rows[id]; });
    await Promise.all(layers.map(function (id) { return app.overlays.toggle(id, true); }));
    if (state.view) app.map.setView([state.view[0], state.view[1]], state.view[2], {animate: false});
    const layer = state.district && app.districts.byCode[state.district];
    if (layer) {
      if (state.view) {
        // The recorded view wins: the popup opens without panning the map.
        app.districts.popup.options.autoPan = false;
        app.districts.openAt(AR.labelPoint(layer.feature.geometry), layer.feature.properties);
        app.districts.popup.options.autoPan = true;
      } else {
        app.districts.focus(state.district);
      }
    }
  };

  /** Enter on the focused map queries its centre; the coordinate form queries a point. */
  AR.keyboardQuery = function (map, districts, panel) {
    const container = map.getContainer();
    container.setAttribute('aria-label', AR.t('Map: arrow keys move, + and - zoom, Enter shows the values at the centre'));
    container.addEventListener('keydown', function (e) {
      if (e.key !== 'Enter' || e.target !== container) return;
      e.preventDefault();
      const center = map.getCenter();
      districts.openAt(center, districts.at(center));
    });
    const form = panel.pointForm;
    form.form.addEventListener('submit', function (e) {
      e.preventDefault();
      const latlng = L.latLng(Number(form.lat.value), Number(form.lon.value));
      map.setView(latlng, Math.max(map.getZoom(), 8), {animate: false});
      districts.openAt(latlng, districts.at(latlng));
    });
  };

  /** On a narrow map, an open popup hides the controls (they return when it closes). */
  AR.stepAside = function (map) {
    const container = map.getContainer();
    map.on('popupopen', function () { container.classList.add('ar-popup-open'); });
    map.on('popupclose', function () { container.classList.remove('ar-popup-open'); });
    const attribution = container.querySelector('.leaflet-control-attribution');
    if (attribution) {
      // Folded to one line on a phone; a tap (or focus) unfolds it.
      attribution.addEventListener('click', function (e) {
        if (e.target.tagName !== 'A') attribution.classList.toggle('ar-unfolded');
      });
    }
  };
})(window.aralrisk = window.aralrisk || {});
