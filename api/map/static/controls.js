/* aralrisk map: the side panel (title, weights, ranking, layers) and a fullscreen button.
 *
 * Leaflet has no fullscreen control of its own and the usual plugin is not packaged for
 * Python, so this is a small one on the browser's Fullscreen API.
 */
(function (AR) {
  'use strict';

  /** The ways hazards combine: [id, title, explanation], in the page's language. */
  function methods() {
    return [
      ['geometric', AR.t('INFORM geometric mean'), AR.t('Hazards combine by INFORM’s adjusted geometric mean (one hazard, one vote): a severe hazard is not averaged away.')],
      ['max', AR.t('Worst hazard'), AR.t('The most severe weighted hazard alone sets the composite.')],
    ];
  }

  /** Four corner brackets, drawn as SVG (no icon font is needed). */
  function fullscreenIcon() {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 16 16');
    svg.setAttribute('width', '16');
    svg.setAttribute('height', '16');
    svg.setAttribute('aria-hidden', 'true');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', 'M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4');
    path.setAttribute('fill', 'none');
    path.setAttribute('stroke', 'currentColor');
    path.setAttribute('stroke-width', '2');
    svg.appendChild(path);
    return svg;
  }

  AR.FullscreenControl = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function (map) {
      const bar = L.DomUtil.create('div', 'leaflet-bar ar-fullscreen');
      const button = L.DomUtil.create('a', '', bar);
      button.href = '#';
      button.setAttribute('role', 'button');
      button.title = AR.t('Full screen');
      button.setAttribute('aria-label', AR.t('Full screen'));
      button.appendChild(fullscreenIcon());
      const container = map.getContainer();
      L.DomEvent.on(button, 'click', function (e) {
        L.DomEvent.preventDefault(e);
        if (document.fullscreenElement) {
          document.exitFullscreen();
        } else if (container.requestFullscreen) {
          container.requestFullscreen();
        }
      });
      L.DomEvent.disableClickPropagation(bar);
      document.addEventListener('fullscreenchange', function () {
        const on = document.fullscreenElement === container;
        button.title = on ? AR.t('Leave full screen') : AR.t('Full screen');
        container.classList.toggle('ar-is-fullscreen', on);
        map.invalidateSize();
      });
      return bar;
    },
  });

  /** The legend of what the map shows, in its corner, so a screenshot explains itself:
   *  the district risk classes (of the build's INFORM release), or the legend of the
   *  overlay switched on last. */
  AR.MapLegendControl = L.Control.extend({
    options: {position: 'topright'},
    initialize: function (caption, classes, options) {
      this.caption = caption;
      this.classes = classes;
      L.setOptions(this, options);
    },
    onAdd: function (map) {
      this.box = L.DomUtil.create('div', 'ar-map-legend leaflet-bar');
      L.DomEvent.disableClickPropagation(this.box);
      this.show(this.caption, this.classes);
      // A popup says what it shows and may open under the corner: the legend steps aside.
      const box = this.box;
      map.on('popupopen', function () { box.hidden = true; });
      map.on('popupclose', function () { box.hidden = false; });
      return this.box;
    },
    show: function (caption, classes) {
      // Folded behind its summary on a phone, so it never covers the map it explains.
      if (!this.details) {
        this.details = AR.el('details', {className: 'ar-map-legend-fold'});
        if (this._map && this._map.getSize().x >= 600) this.details.open = true;
      }
      this.details.replaceChildren(AR.el('summary', {textContent: AR.t('Legend')}), AR.legend(classes, caption));
      this.box.replaceChildren(this.details);
    },
  });

  /** Links to the page in each language; the hash (the shared state) goes along. */
  function languageSwitch(cfg) {
    const nav = AR.el('nav', {className: 'ar-languages', 'aria-label': AR.t('Language')});
    (cfg.languages || []).forEach(function (l) {
      const link = AR.el('a', {href: '?lang=' + l.id, lang: l.id, hreflang: l.id, textContent: l.name, 'data-lang': l.id});
      if (l.id === cfg.lang) link.setAttribute('aria-current', 'true');
      link.addEventListener('click', function () {
        // The view and choices travel in the hash: keep them when switching language.
        link.href = '?lang=' + l.id + window.location.hash;
      });
      nav.appendChild(link);
    });
    return nav;
  }

  /** A keyboard (and screen-reader) way to query a point: latitude and longitude. */
  function pointForm() {
    const lat = AR.el('input', {id: 'ar-point-lat', type: 'number', step: 'any', min: '-90', max: '90', required: '', inputmode: 'decimal'});
    const lon = AR.el('input', {id: 'ar-point-lon', type: 'number', step: 'any', min: '-180', max: '180', required: '', inputmode: 'decimal'});
    const form = AR.el('form', {className: 'ar-point-form', id: 'ar-point-form'}, [
      AR.el('div', {}, [AR.el('label', {for: 'ar-point-lat', textContent: AR.t('Latitude (° N)')}), lat]),
      AR.el('div', {}, [AR.el('label', {for: 'ar-point-lon', textContent: AR.t('Longitude (° E)')}), lon]),
      AR.el('button', {type: 'submit', textContent: AR.t('Show values')}),
    ]);
    const section = AR.el('section', {className: 'ar-section'}, [
      AR.el('h2', {textContent: AR.t('Values at a point')}),
      AR.el('p', {className: 'ar-note', textContent: AR.t('Type coordinates, or focus the map and use the arrow keys to move and Enter to query its centre.')}),
      form,
    ]);
    return {section: section, form: form, lat: lat, lon: lon};
  }

  /** Build the panel's sections; returns the nodes the other scripts fill. */
  AR.Panel = function (root, cfg) {
    const created = cfg.created ? String(cfg.created).slice(0, 10) : '';
    const header = AR.el('header', {className: 'ar-header'}, [
      AR.el('h1', {textContent: cfg.title}),
      AR.el('p', {className: 'ar-build', textContent: AR.t('Build {version}', {version: cfg.version}) + (created ? ' · ' + (cfg.created_label || created) : '')}),
      // An offline copy is one file in one language: reloading it with ?lang= would not
      // change it, so only the served page offers the switch.
      cfg.mode === 'served' ? languageSwitch(cfg) : null,
      cfg.illustrative ? AR.el('p', {className: 'ar-banner', role: 'note', textContent: AR.t('Illustrative sample data: not for decisions.')}) : null,
      cfg.mode === 'static' ? AR.el('p', {className: 'ar-note', textContent: cfg.embedded && cfg.embedded.points ?
        AR.t('Offline copy: the maps are pictures of the build; the values at a point and the district reports are in this folder.') :
        AR.t('Offline copy: the maps are pictures of the build; point values and reports need the live service.')}) : null,
    ]);
    const status = AR.el('p', {className: 'ar-status ar-warn', role: 'status'});
    const profile = AR.el('select', {id: 'ar-profile'});
    const method = AR.el('select', {id: 'ar-method'});
    const METHODS = methods();
    METHODS.forEach(function (m) { method.appendChild(AR.el('option', {value: m[0], textContent: m[1]})); });
    method.value = cfg.defaults.method;
    const methodNote = AR.el('p', {className: 'ar-note'});
    function describeMethod() {
      const chosen = METHODS.find(function (m) { return m[0] === method.value; });
      methodNote.textContent = chosen ? chosen[2] : '';
    }
    method.addEventListener('change', describeMethod);
    method.addEventListener('describe', describeMethod);
    describeMethod();
    const profileNote = AR.el('p', {className: 'ar-note', id: 'ar-profile-note'});
    const weightsNote = AR.el('p', {className: 'ar-note ar-weights'});
    const weightsBox = AR.el('details', {className: 'ar-weights-box'}, [
      AR.el('summary', {className: 'ar-note', textContent: AR.t('Hazard weights in use')}), weightsNote,
    ]);
    const weights = AR.el('section', {className: 'ar-section'}, [
      AR.el('h2', {textContent: AR.t('Weights')}),
      AR.el('label', {for: 'ar-profile', textContent: AR.t('What matters most')}), profile, profileNote,
      AR.el('label', {for: 'ar-method', textContent: AR.t('How hazards combine')}), method, methodNote,
      weightsBox,
    ]);
    const ranking = AR.el('div', {className: 'ar-ranking-box'}, [AR.el('p', {className: 'ar-note', textContent: AR.t('Loading districts…')})]);
    const order = AR.el('div', {className: 'ar-order'});
    const orderNote = AR.el('p', {className: 'ar-note ar-order-note', role: 'status'});
    const choropleth = AR.el('div', {className: 'ar-choropleth-legend'});
    const rankingSection = AR.el('section', {className: 'ar-section'}, [
      AR.el('h2', {textContent: AR.t('Districts: risk, hazard and people')}),
      AR.el('p', {className: 'ar-note', textContent: AR.t('Risk (INFORM, 0-10) combines hazard & exposure, vulnerability and lack of coping capacity; the hazard level is the highest ThinkHazard! level of any hazard; people exposed live where at least one hazard reaches its exposure threshold. Click a row or a district for details.')}),
      order,
      orderNote,
      ranking,
      choropleth,
    ]);
    const layers = AR.el('div', {className: 'ar-layers'});
    const layersSection = AR.el('section', {className: 'ar-section'}, [
      AR.el('h2', {textContent: AR.t('Map layers')}),
      layers,
    ]);
    const help = AR.el('p', {className: 'ar-note ar-help', textContent: AR.t('Click anywhere on the map for every layer’s value at that point.')});
    const point = pointForm();
    const links = AR.el('section', {className: 'ar-section ar-links'}, [
      AR.el('h2', {textContent: AR.t('Print and share')}),
      cfg.mode === 'served' ? AR.el('a', {id: 'ar-oblast-report', href: cfg.routes.oblast_report + '?lang=' + encodeURIComponent(cfg.lang), textContent: AR.t('Oblast one-page summary (print, PDF)')}) : null,
      AR.el('p', {className: 'ar-note', textContent: AR.t('The address of this page records the language, weights, layer, district and view: copy it to share what you see.')}),
    ]);
    root.replaceChildren(header, status, weights, rankingSection, layersSection, point.section, help, links);
    return {
      status: status, profile: profile, method: method, profileNote: profileNote,
      weightsNote: weightsNote, ranking: ranking, order: order, orderNote: orderNote,
      choropleth: choropleth, layers: layers, pointForm: point,
    };
  };
})(window.aralrisk = window.aralrisk || {});
