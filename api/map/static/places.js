/* aralrisk map: settlements (the build's places, GET /places or the export's copy).
 *
 * Dots coloured by the highest hazard level within the build's radius and sized by kind
 * (town, village, hamlet, isolated dwelling). Dense places are thinned on screen: at each
 * zoom a place is drawn only if no more important one (a town before a village, more
 * people first) lies within a few pixels, and labelled only from a zoom that suits its
 * kind and when its label does not collide with another. No cluster plugin: the rule is
 * a greedy pass over a pixel grid, recomputed when the view changes.
 *
 * A place's card (AR.placeCard) names it in the three languages and lists its people,
 * children under 5, people over 65 and every hazard at it and around it. The point
 * popup gains the nearest settlement. Starts once the map is ready (html[data-ar-ready])
 * and sets html[data-ar-places] when drawn ("0" when the build has no places).
 */
(function (AR) {
  'use strict';


  function lang() { return AR.lang ? AR.lang() : (document.documentElement.lang || 'en'); }

  const LEVEL_COLORS = {3: '#bd0026', 2: '#fd8d3c', 1: '#fed976', 0: '#ffffcc'};
  /** Kind -> [rank (lower first), dot radius px, first zoom with a label]. */
  const KINDS = {
    city: [0, 7, 6], town: [0, 6, 7], village: [1, 4, 9], hamlet: [2, 3, 11],
    isolated_dwelling: [3, 2.5, 12],
  };
  const OTHER_KIND = [3, 2.5, 12];
  /** Pixels within which a less important dot is not drawn. */
  const DOT_SPACING = 10;
  /** Estimated width of a label's character in pixels (11 px sans-serif). */
  const LABEL_CHAR = 6.5;

  function kind(p) { return KINDS[p.place] || OTHER_KIND; }

  /** The settlement's name in the page's language (its OSM name when untagged there). */
  AR.placeName = function (p) {
    return p['name_' + lang()] || p.name;
  };

  /** Its names in the other languages, for a card or a search result. */
  AR.placeOtherNames = function (p) {
    const own = AR.placeName(p);
    const seen = new Set([own]);
    return ['kk', 'ru', 'en'].map(function (l) { return p['name_' + l]; })
      .concat([p.name])
      .filter(function (n) { if (!n || seen.has(n)) return false; seen.add(n); return true; });
  };

  /** A place kind in words (each a literal AR.t call, so the catalogs have it). */
  AR.placeKind = function (place) {
    switch (place) {
      case 'city': return AR.t('city');
      case 'town': return AR.t('town');
      case 'village': return AR.t('village');
      case 'hamlet': return AR.t('hamlet');
      case 'isolated_dwelling': return AR.t('isolated dwelling');
      default: return AR.t('settlement');
    }
  };

  function levelLabel(code, cfg) {
    return (cfg.level_labels && cfg.level_labels[String(code)]) || AR.t('no data');
  }

  /** The units of a hazard's value at a settlement (" m", " days/yr"), translated. */
  function units(hazard) {
    const found = AR.places && AR.places.values && AR.places.values[hazard];
    return found && found.units ? ' ' + AR.t(found.units) : '';
  }

  /** The card of a settlement (its popup): names, district, people, hazards. */
  AR.placeCard = function (p, cfg) {
    const rows = (cfg.hazards || []).filter(function (h) { return p[h.id + '_level'] !== undefined; }).map(function (h) {
      return AR.el('tr', {'data-hazard': h.id, className: h.context ? 'ar-context' : ''}, [
        AR.el('td', {textContent: AR.t(h.title)}),
        AR.el('td', {className: 'ar-num', textContent: AR.fmt(p[h.id + '_value'], 1) + units(h.id)}),
        AR.el('td', {}, [AR.levelChip(p[h.id + '_level'], cfg.level_labels)]),
        AR.el('td', {}, [AR.levelChip(p[h.id + '_level_around'], cfg.level_labels)]),
      ]);
    });
    const others = AR.placeOtherNames(p);
    const district = AR.districtName ? AR.districtName({code: p.district, name: p.district_name}) : p.district_name;
    return AR.el('div', {className: 'ar-card ar-place-card', 'data-place': p.id}, [
      AR.el('h3', {className: 'ar-card-title', textContent: AR.placeName(p)}),
      others.length ? AR.el('div', {className: 'ar-names', textContent: others.join(' · ')}) : null,
      AR.el('p', {className: 'ar-note', textContent: AR.placeKind(p.place) + ' · ' + AR.t('district') + ': ' + district}),
      AR.el('table', {className: 'ar-levels ar-place-people'}, [AR.el('tbody', {}, [
        AR.el('tr', {}, [AR.el('td', {textContent: AR.t('People')}), AR.el('td', {className: 'ar-num', textContent: AR.people(p.people)})]),
        AR.el('tr', {}, [AR.el('td', {textContent: AR.t('People exposed')}), AR.el('td', {className: 'ar-num', textContent: AR.people(p.people_exposed)})]),
        AR.el('tr', {}, [AR.el('td', {textContent: AR.t('Children under 5')}), AR.el('td', {className: 'ar-num', textContent: AR.people(p.children_under5)})]),
        AR.el('tr', {}, [AR.el('td', {textContent: AR.t('People over 65')}), AR.el('td', {className: 'ar-num', textContent: AR.people(p.elderly_over65)})]),
      ])]),
      AR.el('table', {className: 'ar-levels ar-place-hazards'}, [
        AR.el('thead', {}, [AR.el('tr', {}, [
          AR.el('th', {textContent: AR.t('Hazard')}), AR.el('th', {className: 'ar-num', textContent: AR.t('Value')}),
          AR.el('th', {textContent: AR.t('Here')}), AR.el('th', {textContent: AR.t('Within {radius} km', {radius: AR.places && AR.places.radius})}),
        ])]),
        AR.el('tbody', {}, rows),
      ]),
      AR.el('p', {className: 'ar-note', textContent: AR.t('People within {radius} km, each counted for the nearest settlement; children and people over 65: the district\'s shares applied.', {radius: AR.places && AR.places.radius})}),
    ]);
  };

  AR.Places = class {
    constructor(map, cfg, collection) {
      this.map = map;
      this.cfg = cfg;
      this.radius = collection.radius_km;
      this.values = collection.values || {};
      this.features = collection.features.slice().sort(function (a, b) {
        const ka = kind(a.properties)[0], kb = kind(b.properties)[0];
        return ka - kb || (b.properties.people || 0) - (a.properties.people || 0);
      });
      this.byId = {};
      map.createPane('arPlaces').style.zIndex = 460;
      this.layer = L.layerGroup().addTo(map);
      this.popup = L.popup({maxWidth: 380, className: 'ar-popup ar-place-popup', autoPanPadding: [20, 20]});
      const self = this;
      this.features.forEach(function (f) {
        const p = f.properties;
        const dot = L.circleMarker([p.lat, p.lon], {
          pane: 'arPlaces', radius: kind(p)[1], weight: 1, color: '#263238', opacity: 0.9,
          fillColor: LEVEL_COLORS[p.hazard_level_around] || '#eeeeee', fillOpacity: 0.95,
          className: 'ar-place ar-place-' + (p.place || 'other'),
        });
        dot.on('click', function (e) { L.DomEvent.stopPropagation(e); self.open(p.id); });
        self.byId[p.id] = {feature: f, dot: dot, label: null};
      });
      map.on('zoomend moveend', function () { self.redraw(); });
      this.redraw();
    }

    /** Draw the dots and labels this view has room for (greedy, most important first). */
    redraw() {
      const map = this.map, zoom = map.getZoom();
      const view = map.getBounds().pad(0.2);
      const dots = {}, labels = [];
      const self = this;
      function free(grid, point, spacing) {
        const gx = Math.floor(point.x / spacing), gy = Math.floor(point.y / spacing);
        for (let dx = -1; dx <= 1; dx++) {
          for (let dy = -1; dy <= 1; dy++) {
            const other = grid[(gx + dx) + ':' + (gy + dy)];
            if (other && other.distanceTo(point) < spacing) return false;
          }
        }
        grid[gx + ':' + gy] = point;
        return true;
      }
      /** Room for a label right of the dot: its estimated box overlaps no other label. */
      function fits(placed, point, name) {
        const box = [point.x + 4, point.y - 9, point.x + 14 + LABEL_CHAR * name.length, point.y + 9];
        const clash = placed.some(function (b) {
          return box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3];
        });
        if (!clash) placed.push(box);
        return !clash;
      }
      this.layer.clearLayers();
      this.shown = 0;
      this.labelled = 0;
      this.features.forEach(function (f) {
        const p = f.properties, item = self.byId[p.id];
        const at = L.latLng(p.lat, p.lon);
        if (!view.contains(at)) return;
        const point = map.latLngToLayerPoint(at);
        if (!free(dots, point, DOT_SPACING)) return;
        item.dot.addTo(self.layer);
        self.shown += 1;
        if (zoom >= kind(p)[2] && fits(labels, point, AR.placeName(p))) {
          L.tooltip({permanent: true, direction: 'right', offset: [6, 0], className: 'ar-place-label', interactive: false})
            .setLatLng(at).setContent(AR.el('span', {textContent: AR.placeName(p)})).addTo(self.layer);
          self.labelled += 1;
        }
      });
      document.documentElement.dataset.arPlacesShown = String(this.shown);
    }

    /** The settlement nearest to a point (great circle), and its distance in km. */
    nearest(latlng) {
      let best = null, bestDistance = Infinity;
      this.features.forEach(function (f) {
        const d = latlng.distanceTo(L.latLng(f.properties.lat, f.properties.lon));
        if (d < bestDistance) { bestDistance = d; best = f.properties; }
      });
      return best ? {place: best, km: bestDistance / 1000} : null;
    }

    /** Open a settlement's card, zooming to it. */
    open(id, zoom) {
      const item = this.byId[id];
      if (!item) return;
      const p = item.feature.properties;
      const at = L.latLng(p.lat, p.lon);
      if (zoom) this.map.setView(at, Math.max(this.map.getZoom(), zoom), {animate: false});
      this.popup.setLatLng(at).setContent(AR.placeCard(p, this.cfg)).openOn(this.map);
    }
  };

  /** The nearest settlement, added to the point popup of a map click. */
  function addNearest(places, popup) {
    const body = popup.getElement && popup.getElement() && popup.getElement().querySelector('.ar-popup-body');
    if (!body || body.querySelector('.ar-nearest')) return;
    const found = places.nearest(popup.getLatLng());
    if (!found) return;
    const p = found.place;
    const link = AR.el('a', {href: '#', className: 'ar-nearest-link', textContent: AR.placeName(p)});
    link.addEventListener('click', function (e) { e.preventDefault(); places.open(p.id, 11); });
    body.appendChild(AR.el('p', {className: 'ar-note ar-nearest', 'data-place': p.id}, [
      AR.t('Nearest settlement') + ': ', link,
      ' (' + AR.fmt(found.km, 1) + ' km) · ' + AR.t('people') + ' ' + AR.people(p.people) + ' · ' +
        AR.t('highest hazard level within {radius} km', {radius: places.radius}) + ': ' + levelLabel(p.hazard_level_around, places.cfg),
    ]));
    popup.update();
  }

  async function loadPlaces(cfg) {
    if (cfg.mode === 'static') return (cfg.embedded && cfg.embedded.places) || null;
    const response = await fetch('places', {headers: {Accept: 'application/geo+json'}});
    if (response.status === 404) return null;  // a build without settlements
    if (!response.ok) throw new Error(response.status + ' ' + response.statusText);
    return response.json();
  }

  async function start() {
    const app = AR.app;
    let collection = null;
    try {
      collection = await loadPlaces(app.cfg);
    } catch (err) {
      if (app.panel && app.panel.status) {
        app.panel.status.appendChild(AR.el('span', {textContent: AR.t('Settlements could not be loaded: {error}', {error: err.message}) + ' '}));
      }
    }
    if (collection && collection.features.length) {
      const places = new AR.Places(app.map, app.cfg, collection);
      AR.places = places;
      app.places = places;
      app.map.on('popupopen', function (e) {
        if (e.popup !== places.popup) addNearest(places, e.popup);
      });
      // Their attribution (OSM, ODbL) is the build's: its configuration names every source.
    }
    document.documentElement.dataset.arPlaces = collection && collection.features.length ? '1' : '0';
    document.dispatchEvent(new CustomEvent('ar-places-ready'));
  }

  /** Run once the map has started (main.js sets html[data-ar-ready]). */
  AR.whenReady = function (callback) {
    const root = document.documentElement;
    if (root.dataset.arReady === '1') { callback(); return; }
    const watch = new MutationObserver(function () {
      if (root.dataset.arReady === '1') { watch.disconnect(); callback(); }
    });
    watch.observe(root, {attributes: true, attributeFilter: ['data-ar-ready']});
  };

  AR.whenReady(function () { start().catch(function () { document.documentElement.dataset.arPlaces = '0'; }); });
})(window.aralrisk = window.aralrisk || {});
