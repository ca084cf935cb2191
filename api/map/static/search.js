/* aralrisk map: search for a settlement or a district, in Kazakh, Russian or English.
 *
 * Every name (OSM name, name:kk, name:ru, name:en; the districts' names in the three
 * languages) is folded to one Latin key: lower case, accents stripped, the Kazakh letters
 * ә ғ қ ң ө ұ ү һ і folded to а г к н о у у х и, Cyrillic transliterated to Latin, and
 * the usual spelling variants of romanised Kazakh and Russian merged (q/k, y/i, zh/j,
 * kh/h...). The query is folded the same way, so "Кызылорда", "Қызылорда",
 * "kyzylorda" and "Qyzylorda" all find the same place.
 *
 * The box is a combobox (WAI-ARIA 1.2): type, ArrowDown/ArrowUp to move, Enter to choose,
 * Escape to close. Choosing jumps to the result and opens its card.
 */
(function (AR) {
  'use strict';

  function lang() { return AR.lang ? AR.lang() : (document.documentElement.lang || 'en'); }

  const FOLD_KAZAKH = {'ә': 'а', 'ғ': 'г', 'қ': 'к', 'ң': 'н', 'ө': 'о', 'ұ': 'у', 'ү': 'у', 'һ': 'х', 'і': 'и', 'ё': 'е', 'й': 'и'};
  const CYRILLIC = {
    'а': 'a', 'б': 'b', 'в': 'v', 'г': 'g', 'д': 'd', 'е': 'e', 'ж': 'zh', 'з': 'z', 'и': 'i',
    'к': 'k', 'л': 'l', 'м': 'm', 'н': 'n', 'о': 'o', 'п': 'p', 'р': 'r', 'с': 's', 'т': 't',
    'у': 'u', 'ф': 'f', 'х': 'kh', 'ц': 'ts', 'ч': 'ch', 'ш': 'sh', 'щ': 'shch', 'ъ': '',
    'ы': 'y', 'ь': '', 'э': 'e', 'ю': 'yu', 'я': 'ya',
  };
  /** Romanisation variants merged after transliteration (order matters). */
  const LATIN = [[/shch/g, 'sh'], [/kh/g, 'h'], [/zh/g, 'j'], [/ts/g, 'c'], [/x/g, 'h'],
    [/q/g, 'k'], [/w/g, 'u'], [/y/g, 'i'], [/(.)\1+/g, '$1']];

  /** The search key of a name or query: one folded Latin string. */
  AR.searchKey = function (text) {
    let s = String(text || '').toLowerCase();
    s = s.replace(/[әғқңөұүһіёй]/g, function (c) { return FOLD_KAZAKH[c]; });
    // Accents (é, ü, ö of a Latin Kazakh spelling) go; the Cyrillic й was folded above.
    s = s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    s = s.replace(/[а-я]/g, function (c) { return CYRILLIC[c] !== undefined ? CYRILLIC[c] : c; });
    LATIN.forEach(function ([pattern, to]) { s = s.replace(pattern, to); });
    return s.replace(/[^a-z0-9]+/g, ' ').trim();
  };

  /** Every searchable entry: settlements and districts, with their keys. */
  function entries(app) {
    const out = [];
    (AR.places ? AR.places.features : []).forEach(function (f) {
      const p = f.properties;
      const names = [p.name, p.name_kk, p.name_ru, p.name_en].filter(Boolean);
      out.push({type: 'place', id: p.id, rank: p.place === 'town' || p.place === 'city' ? 1 : 2,
        people: p.people || 0, props: p, names: names, keys: names.map(AR.searchKey)});
    });
    (app.districts ? app.districts.features : []).forEach(function (f) {
      const p = f.properties;
      const own = (app.cfg.district_names && app.cfg.district_names[p.code]) || {};
      const names = [p.name, p.name_kk, p.name_ru, own.kk, own.ru, own.en].filter(Boolean);
      out.push({type: 'district', id: p.code, rank: 0, people: p.population || 0, props: p,
        names: names, keys: names.map(AR.searchKey)});
    });
    return out;
  }

  /** Entries matching a query, best first: a name starting with it, then a word, then anywhere. */
  AR.searchEntries = function (all, query, limit) {
    const key = AR.searchKey(query);
    if (key.length < 2) return [];
    const found = [];
    all.forEach(function (e) {
      let score = Infinity;
      e.keys.forEach(function (k) {
        if (k.startsWith(key)) score = Math.min(score, 0);
        else if ((' ' + k).includes(' ' + key)) score = Math.min(score, 1);
        else if (k.includes(key)) score = Math.min(score, 2);
      });
      if (score < Infinity) found.push({entry: e, score: score});
    });
    found.sort(function (a, b) {
      return a.score - b.score || a.entry.rank - b.entry.rank || b.entry.people - a.entry.people;
    });
    return found.slice(0, limit || 8).map(function (f) { return f.entry; });
  };

  function title(e) {
    if (e.type === 'district') return AR.districtName ? AR.districtName(e.props) : e.props.name;
    return AR.placeName(e.props);
  }

  function detail(e) {
    const others = e.type === 'place' ? AR.placeOtherNames(e.props) :
      e.names.filter(function (n) { return n !== title(e); }).filter(function (n, i, a) { return a.indexOf(n) === i; });
    const what = e.type === 'district' ? AR.t('district') :
      AR.placeKind(e.props.place) + ', ' +
        (AR.districtName ? AR.districtName({code: e.props.district, name: e.props.district_name}) : e.props.district_name);
    return [what].concat(others.slice(0, 2)).join(' · ');
  }

  AR.SearchControl = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      const box = AR.el('div', {className: 'ar-search leaflet-bar', role: 'search'});
      const label = AR.el('label', {for: 'ar-search-input', className: 'ar-visually-hidden', textContent: AR.t('Search a settlement or district')});
      const input = AR.el('input', {
        id: 'ar-search-input', type: 'search', autocomplete: 'off', spellcheck: 'false',
        placeholder: AR.t('Search a village or district…'), role: 'combobox',
        'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': 'ar-search-results',
      });
      const list = AR.el('ul', {id: 'ar-search-results', className: 'ar-search-results', role: 'listbox', 'aria-label': AR.t('Search results')});
      list.hidden = true;
      box.appendChild(label);
      box.appendChild(input);
      box.appendChild(list);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      this.input = input;
      this.list = list;
      this.active = -1;
      this.results = [];
      const self = this;
      input.addEventListener('input', function () { self.update(); });
      input.addEventListener('keydown', function (e) { self.key(e); });
      input.addEventListener('blur', function () { setTimeout(function () { self.close(); }, 200); });
      return box;
    },

    update: function () {
      const app = AR.app;
      if (!this.all) this.all = entries(app);
      this.results = AR.searchEntries(this.all, this.input.value, 8);
      this.active = this.results.length ? 0 : -1;
      this.render();
    },

    render: function () {
      const self = this;
      this.list.replaceChildren();
      if (!this.input.value.trim() || AR.searchKey(this.input.value).length < 2) { this.close(); return; }
      if (!this.results.length) {
        this.list.appendChild(AR.el('li', {className: 'ar-search-none', role: 'option', 'aria-disabled': 'true', textContent: AR.t('Nothing found')}));
      }
      this.results.forEach(function (e, i) {
        const option = AR.el('li', {
          id: 'ar-search-option-' + i, role: 'option', className: 'ar-search-option ar-search-' + e.type,
          'aria-selected': i === self.active ? 'true' : 'false', 'data-type': e.type, 'data-id': e.id,
        }, [AR.el('strong', {textContent: title(e)}), AR.el('span', {className: 'ar-search-detail', textContent: detail(e)})]);
        option.addEventListener('mousedown', function (ev) { ev.preventDefault(); self.choose(i); });
        self.list.appendChild(option);
      });
      this.list.hidden = false;
      this.input.setAttribute('aria-expanded', 'true');
      if (this.active >= 0) this.input.setAttribute('aria-activedescendant', 'ar-search-option-' + this.active);
      else this.input.removeAttribute('aria-activedescendant');
    },

    key: function (e) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        if (!this.results.length) return;
        e.preventDefault();
        const step = e.key === 'ArrowDown' ? 1 : -1;
        this.active = (this.active + step + this.results.length) % this.results.length;
        this.render();
      } else if (e.key === 'Enter') {
        e.preventDefault();
        if (this.active >= 0) this.choose(this.active);
      } else if (e.key === 'Escape') {
        this.close();
      }
    },

    close: function () {
      this.list.hidden = true;
      this.input.setAttribute('aria-expanded', 'false');
      this.input.removeAttribute('aria-activedescendant');
    },

    /** Jump to result i and open its card (a settlement's, or the district's popup). */
    choose: function (i) {
      const e = this.results[i];
      if (!e) return;
      this.close();
      this.input.value = title(e);
      if (e.type === 'place' && AR.places) {
        AR.places.open(e.id, 11);
      } else if (e.type === 'district' && AR.app.districts) {
        AR.app.districts.focus(e.id);
      }
      document.documentElement.dataset.arSearched = e.type + ':' + e.id;
    },
  });

  // After the settlements (or their absence) are known: the index holds both kinds.
  document.addEventListener('ar-places-ready', function () {
    const app = AR.app;
    if (!app || !app.map) return;
    AR.search = new AR.SearchControl().addTo(app.map);
    document.documentElement.dataset.arSearch = '1';
  });
})(window.aralrisk = window.aralrisk || {});
