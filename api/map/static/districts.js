/* aralrisk map: the district choropleth, its labels and popups, and the point query.
 * The popup's district card is in cards.js, the ranking table in ranking.js.
 *
 * The districts are fetched from /districts (never inlined in the page) and fetched again
 * with ?profile=&method= when the weights change; the geometry stays, the colours,
 * popups and table follow the new results.
 */
(function (AR) {
  'use strict';

  const NO_DATA_COLOR = '#bdbdbd';
  AR.NO_DATA_COLOR = NO_DATA_COLOR;

  /** Ray casting: is [x, y] inside a ring (array of [x, y])? */
  function inRing(point, ring) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > point[1]) !== (yj > point[1]) &&
          point[0] < ((xj - xi) * (point[1] - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function inPolygon(point, rings) {
    return inRing(point, rings[0]) && !rings.slice(1).some(function (hole) { return inRing(point, hole); });
  }

  function segmentDistance(p, a, b) {
    const dx = b[0] - a[0], dy = b[1] - a[1];
    const len = dx * dx + dy * dy;
    const t = len ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len)) : 0;
    return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
  }

  function edgeDistance(point, rings) {
    let best = Infinity;
    rings.forEach(function (ring) {
      for (let i = 1; i < ring.length; i++) best = Math.min(best, segmentDistance(point, ring[i - 1], ring[i]));
    });
    return best;
  }

  /** Where to write a district's name: the inside point of a 24 x 24 grid farthest from
   *  the outline (a coarse pole of inaccessibility), in the largest part. A centroid can
   *  fall outside a bent district or inside an enclave; this point cannot. */
  AR.labelPoint = function (geometry) {
    const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
    let rings = polygons[0], largest = -1;
    polygons.forEach(function (poly) {
      const xs = poly[0].map(function (c) { return c[0]; }), ys = poly[0].map(function (c) { return c[1]; });
      const size = (Math.max.apply(null, xs) - Math.min.apply(null, xs)) * (Math.max.apply(null, ys) - Math.min.apply(null, ys));
      if (size > largest) { largest = size; rings = poly; }
    });
    const xs = rings[0].map(function (c) { return c[0]; }), ys = rings[0].map(function (c) { return c[1]; });
    const x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    const y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    let best = [(x0 + x1) / 2, (y0 + y1) / 2], bestDistance = -1;
    const n = 24;
    for (let i = 0; i <= n; i++) {
      for (let j = 0; j <= n; j++) {
        const p = [x0 + ((x1 - x0) * (i + 0.5)) / (n + 1), y0 + ((y1 - y0) * (j + 0.5)) / (n + 1)];
        if (!inPolygon(p, rings)) continue;
        const d = edgeDistance(p, rings);
        if (d > bestDistance) { bestDistance = d; best = p; }
      }
    }
    return L.latLng(best[1], best[0]);
  };

  /** Is [lon, lat] inside a GeoJSON (Multi)Polygon? */
  AR.inGeometry = function (point, geometry) {
    const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
    return polygons.some(function (rings) { return inPolygon(point, rings); });
  };

  AR.Districts = class {
    constructor(map, source, cfg, catalog, panel) {
      this.map = map;
      this.source = source;
      this.cfg = cfg;
      this.catalog = catalog;
      this.panel = panel;
      this.classColor = {};
      const self = this;
      cfg.risk_classes.forEach(function (c) { self.classColor[c.name] = c.color; });
      this.byCode = {};
      this.fill = 0.6;
      this.features = [];
      // On a phone the popup takes the map's width less a margin (Leaflet's minWidth
      // would push it off a 390 px screen); the panel's controls step aside (main.js).
      const width = map.getSize().x;
      this.popup = L.popup({maxWidth: Math.min(440, width - 40), minWidth: Math.min(360, width - 50),
        maxHeight: width < 600 ? 320 : 460, className: 'ar-popup', autoPanPadding: [20, 20]});
      this.ranking = new AR.Ranking(panel, cfg, this.classColor, function (code) { self.focus(code); });
      this.layer = L.geoJSON(null, {
        style: function (feature) { return self.style(feature.properties); },
        onEachFeature: function (feature, layer) {
          self.byCode[feature.properties.code] = layer;
          layer.on('click', function (e) {
            L.DomEvent.stopPropagation(e);
            self.openAt(e.latlng, layer.feature.properties);
          });
        },
      });
      this.labels = L.layerGroup();
      this.tips = [];
      map.on('click', function (e) { self.openAt(e.latlng, null); });
      map.on('zoomend resize', function () { self.declutter(); });
    }

    /** Hide the labels that would overlap one already shown, the largest districts
     *  first: a name is never printed over another, and comes back when zoomed in. */
    declutter() {
      const placed = [];
      this.tips.forEach(function (tip) {
        const node = tip.getElement();
        if (!node) return;
        node.classList.remove('ar-label-hidden');
        const r = node.getBoundingClientRect();
        const hit = placed.some(function (q) {
          return r.left < q.right && r.right > q.left && r.top < q.bottom && r.bottom > q.top;
        });
        if (hit) node.classList.add('ar-label-hidden'); else placed.push(r);
      });
    }

    style(props) {
      return {
        className: 'ar-district',
        color: '#37474f',
        weight: 1.5,
        fillColor: this.classColor[props.risk_class] || NO_DATA_COLOR,
        fillOpacity: this.fill,
      };
    }

    /** Raster overlays on: let them show through the districts (outlines stay). */
    setFill(fill) {
      this.fill = fill;
      const self = this;
      this.layer.setStyle(function (feature) { return self.style(feature.properties); });
    }

    /** Fetch the districts with these weights and redraw colours, popups and table. */
    async load(profile, method) {
      const collection = await this.source.districts(profile, method);
      const self = this;
      if (!Object.keys(this.byCode).length) {
        this.layer.addData(collection);
        this.layer.addTo(this.map);
        const bySize = collection.features.slice().sort(function (a, b) {
          return (b.properties.area_km2 || 0) - (a.properties.area_km2 || 0);
        });
        bySize.forEach(function (f) {
          const text = AR.el('span', {textContent: AR.districtName(f.properties)});
          // A district a few pixels wide (Baikonur) is labelled beside itself, not over it.
          const size = self.map.latLngToLayerPoint(self.byCode[f.properties.code].getBounds().getNorthEast())
            .subtract(self.map.latLngToLayerPoint(self.byCode[f.properties.code].getBounds().getSouthWest()));
          const tiny = Math.abs(size.x) < 40 && Math.abs(size.y) < 40;
          const tip = L.tooltip({permanent: true, direction: tiny ? 'right' : 'center', offset: tiny ? [8, 0] : [0, 0],
            className: 'ar-label' + (tiny ? ' ar-label-side' : ''), interactive: false})
            .setLatLng(AR.labelPoint(f.geometry)).setContent(text).addTo(self.labels);
          self.tips.push(tip);
        });
        this.labels.addTo(this.map);
        this.declutter();
      } else {
        collection.features.forEach(function (f) {
          const layer = self.byCode[f.properties.code];
          if (layer) layer.feature.properties = f.properties;
        });
        this.setFill(this.fill);
      }
      this.features = collection.features;
      this.ranking.render(collection);
      this.map.closePopup(this.popup);
      return collection;
    }

    /** Zoom to a district and open its popup at its label point. */
    focus(code) {
      const layer = this.byCode[code];
      if (!layer) return;
      this.selected = code;
      // Not animated: the popup then pans into view from where the map really is.
      this.map.fitBounds(layer.getBounds(), {maxZoom: 9, padding: [30, 30], animate: false});
      this.openAt(AR.labelPoint(layer.feature.geometry), layer.feature.properties);
    }

    pointSection(latlng) {
      const cfg = this.cfg;
      const section = AR.el('div', {className: 'ar-point'}, [
        AR.el('strong', {textContent: AR.t('At {lat}° N, {lon}° E', {lat: latlng.lat.toFixed(3), lon: latlng.lng.toFixed(3)})}),
      ]);
      const status = AR.el('p', {className: 'ar-note', textContent: AR.t('Loading values at this point…')});
      section.appendChild(status);
      const self = this;
      this.source.point(latlng.lng, latlng.lat).then(function (result) {
        const rows = result.layers.map(function (l) {
          return AR.el('tr', {}, [
            AR.el('td', {textContent: AR.t(l.title)}),
            AR.el('td', {className: 'ar-num', textContent: AR.fmt(l.value, 2) + ' ' + (l.units ? AR.t(l.units) : '')}),
            AR.el('td', {}, [AR.levelChip(l.level, cfg.level_labels)]),
          ]);
        });
        let exposure = AR.t('no data on exposure here');
        if (result.exposed === true) {
          exposure = AR.t('exposed to {hazards}', {hazards: result.exposed_to.map(function (e) { return AR.t(e.title); }).join(', ')});
        } else if (result.exposed === false) {
          exposure = AR.t('not exposed to any hazard (no exposure threshold reached)');
        }
        status.replaceWith(AR.el('div', {}, [
          AR.el('p', {className: 'ar-note ar-point-summary', textContent: AR.t('Composite hazard {score} of 10 (build weights)', {score: AR.score(result.composite)}) + ' · ' + exposure}),
          AR.el('table', {className: 'ar-levels ar-point-values'}, [AR.el('tbody', {}, rows)]),
        ]));
        self.popup.update();
      }).catch(function (err) {
        status.textContent = err.message;
        status.className = 'ar-note ar-warn';
      });
      return section;
    }

    /** The popup pans clear of the map's corner controls (search, zoom, scale,
     *  attribution), so none covers it; on a phone they step aside instead (share.js). */
    padAroundControls() {
      const container = this.map.getContainer();
      const size = function (selector) {
        const node = container.querySelector(selector);
        return node ? node.getBoundingClientRect() : {width: 0, height: 0};
      };
      if (window.matchMedia('(max-width: 760px)').matches) {
        this.popup.options.autoPanPaddingTopLeft = L.point(10, 10);
        this.popup.options.autoPanPaddingBottomRight = L.point(10, 10);
        return;
      }
      const bottom = Math.max(size('.leaflet-bottom.leaflet-left').height, size('.leaflet-bottom.leaflet-right').height);
      this.popup.options.autoPanPaddingTopLeft = L.point(size('.leaflet-top.leaflet-left').width + 10, 10);
      this.popup.options.autoPanPaddingBottomRight = L.point(10, bottom + 10);
    }

    /** The properties of the district at a point, or null. */
    at(latlng) {
      const point = [latlng.lng, latlng.lat];
      const found = this.features.find(function (f) { return AR.inGeometry(point, f.geometry); });
      return found ? this.byCode[found.properties.code].feature.properties : null;
    }

    /** One popup: the district (if any) and the layers' values at the clicked point. */
    openAt(latlng, props) {
      this.selected = props ? props.code : null;
      this.padAroundControls();
      const content = AR.el('div', {className: 'ar-popup-body'}, [
        props ? AR.districtCard(props, this) : null,
        this.pointSection(latlng),
      ]);
      this.popup.setLatLng(latlng).setContent(content).openOn(this.map);
    }
  };
})(window.aralrisk = window.aralrisk || {});
